import type { AnyIntegrationTypeHandler, Runtime } from './types/handler.js';
import type { IntegrationCheck, IntegrationTestResult } from './types/test-result.js';

/**
 * Runs connection tests on runtimes this process does not run: a remote hybrid runtime's agents, with
 * that runtime's own identity. Declared here and implemented by the runtime layer (src/runtimes/agent-tasks.ts),
 * so that integrations never import the layer above them.
 */
export interface RemoteTester {
  /** Whether a test on `runtime` goes to its agents. */
  serves(runtime: Runtime): boolean;
  /** `settings` hold clear secrets; they leave this process only sealed for `runtime`, bound to `name`. */
  test(
    h: AnyIntegrationTypeHandler,
    name: string,
    settings: unknown,
    runtime: Runtime,
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult>;
}
