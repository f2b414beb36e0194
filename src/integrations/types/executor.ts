import type { RuntimeV1alpha1 } from '../../config-repo/kinds/runtime-v1alpha1.js';
import type { EcrConnectionInput, EcrTestResult, ProbeCheck } from '../registry/ecr/index.js';
import type { GitHubConnectionInput } from '../github/probe.js';
import type { JiraConnectionInput } from '../jira/probe.js';
import type { IntegrationCheck, IntegrationTestResult } from './test-result.js';

export type ExecutableCheck = { ok: true } | { ok: false; reason: string };
type RuntimeRef = Pick<RuntimeV1alpha1, 'metadata' | 'spec'>;

/**
 * What integrations need from the place that runs their connection tests. Declared here, and implemented
 * by the runtime layer, so that integrations never import the layer above them (ADR: layers).
 */
export interface IntegrationExecutor {
  /** Undefined when the server runs with --no-local-runtime (hosted runtimes only, in-process). */
  readonly localRuntime: string | undefined;
  canExecute(runtime: RuntimeRef): ExecutableCheck;
  testEcr(
    runtime: RuntimeRef,
    input: EcrConnectionInput,
    onCheck?: (check: ProbeCheck) => void,
  ): Promise<EcrTestResult>;
  testGitHub(
    runtime: RuntimeRef,
    input: GitHubConnectionInput,
    onCheck?: (check: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult>;
  testJira(
    runtime: RuntimeRef,
    input: JiraConnectionInput,
    onCheck?: (check: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult>;
}
