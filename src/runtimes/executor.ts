import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { Redactor } from '../logging/redactor.js';
import type { Telemetry } from '../domain/telemetry.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import type * as EcrModule from '../integrations/registry/ecr/index.js';
import type { EcrEnrichDeps } from '../integrations/registry/ecr/enrich-deps.js';
import type { WarnLogger } from '../integrations/registry/ecr/clients.js';
import type {
  EcrClientCache,
  EcrConnectionInput,
  EcrTestResult,
  ProbeCheck,
} from '../integrations/registry/ecr/index.js';
import type { GitHubConnectionInput } from '../integrations/github/probe.js';
import type { JiraConnectionInput } from '../integrations/jira/probe.js';
import type { IntegrationCheck, IntegrationTestResult } from '../integrations/types/test-result.js';
import type { ExecutableCheck, IntegrationExecutor } from '../integrations/types/executor.js';

export interface ExecutorOptions {
  /** The hybrid runtime this process runs (`imagetrail serve` runs one, named `local` by default; none with --no-local-runtime). */
  localRuntime: string | undefined;
  redactor: Redactor;
  requestTimeoutMs?: number;
  maxAttempts?: number;
  /** Remote calls (ECR, STS, registries) and token-cache use are reported here. */
  telemetry?: Telemetry;
  /** For failures no caller waits for (a background role-session renewal). */
  logger?: WarnLogger;
}

/**
 * Runs registry work on behalf of a runtime, in this process. The local hybrid runtime uses the process's
 * own AWS identity (the SDK's default chain: env, IRSA web identity, ECS/EC2 roles, profiles). Hosted
 * runtimes run here too, but with no cloud identity at all, which is what makes IAM-role mode impossible
 * on them. Other hybrid runtimes hold their own identity elsewhere; remote agents are on the roadmap.
 */
export class RuntimeExecutor implements IntegrationExecutor {
  private ecr?: Promise<typeof EcrModule>;
  private clients?: EcrClientCache;
  private enrichDeps?: Promise<EcrEnrichDeps>;
  private ambient?: AwsCredentialIdentityProvider;

  constructor(private readonly options: ExecutorOptions) {}

  get localRuntime(): string | undefined {
    return this.options.localRuntime;
  }

  canExecute(runtime: Pick<RuntimeV1alpha1, 'metadata' | 'spec'>): ExecutableCheck {
    const local = this.options.localRuntime;
    if (runtime.spec.type === 'hosted' || (local !== undefined && runtime.metadata.name === local))
      return { ok: true };
    return {
      ok: false,
      reason: `runtime "${runtime.metadata.name}" is a remote hybrid runtime; this server runs only ${local === undefined ? 'hosted runtimes in-process (--no-local-runtime)' : `"${local}" and hosted runtimes in-process`}`,
    };
  }

  /** Loaded on first use so that CLI commands that never touch AWS do not pay for the SDK. */
  private async ecrModule() {
    this.ecr ??= import('../integrations/registry/ecr/index.js');
    return this.ecr;
  }

  async ambientFor(
    runtime: Pick<RuntimeV1alpha1, 'metadata' | 'spec'>,
  ): Promise<AwsCredentialIdentityProvider | null> {
    if (runtime.spec.type === 'hosted') return null;
    if (!this.ambient) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      this.ambient = fromNodeProviderChain();
    }
    return this.ambient;
  }

  async ecrClients(): Promise<EcrClientCache> {
    const mod = await this.ecrModule();
    this.clients ??= new mod.EcrClientCache({
      redactor: this.options.redactor,
      ...(this.options.requestTimeoutMs !== undefined
        ? { requestTimeoutMs: this.options.requestTimeoutMs }
        : {}),
      ...(this.options.maxAttempts !== undefined ? { maxAttempts: this.options.maxAttempts } : {}),
      ...(this.options.telemetry ? { telemetry: this.options.telemetry } : {}),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
    return this.clients;
  }

  /** The caches enrichment shares across reports: clients, tokens, batched lookups, configs, tag lists. */
  ecrEnrichDeps(): Promise<EcrEnrichDeps> {
    this.enrichDeps ??= (async () => {
      const [{ EcrImageLookup }, { LruCache }] = await Promise.all([
        import('../integrations/registry/ecr/images.js'),
        import('../integrations/registry/oci/cache.js'),
      ]);
      const clients = await this.ecrClients();
      return {
        clients,
        lookup: new EcrImageLookup(clients),
        redactor: this.options.redactor,
        configs: new LruCache({ maxEntries: 5000, maxBytes: 64 * 1024 * 1024 }),
        manifests: new LruCache({ maxEntries: 5000, maxBytes: 64 * 1024 * 1024 }),
        registries: new Map(),
        tagLists: new Map(),
        ...(this.options.telemetry ? { telemetry: this.options.telemetry } : {}),
        ...(this.options.requestTimeoutMs !== undefined
          ? { requestTimeoutMs: this.options.requestTimeoutMs }
          : {}),
      };
    })();
    return this.enrichDeps;
  }

  async testEcr(
    runtime: Pick<RuntimeV1alpha1, 'metadata' | 'spec'>,
    input: EcrConnectionInput,
    onCheck?: (check: ProbeCheck) => void,
  ): Promise<EcrTestResult> {
    const mod = await this.ecrModule();
    return mod.testEcrConnection(
      input,
      {
        runtime: {
          name: runtime.metadata.name,
          type: runtime.spec.type,
          ambient: await this.ambientFor(runtime),
        },
        clients: await this.ecrClients(),
        redactor: this.options.redactor,
        ...(this.options.requestTimeoutMs !== undefined
          ? { requestTimeoutMs: this.options.requestTimeoutMs }
          : {}),
        ...(this.options.maxAttempts !== undefined ? { maxAttempts: this.options.maxAttempts } : {}),
      },
      onCheck ? { onCheck } : {},
    );
  }
  /**
   * GitHub and Jira tests run here like ECR's, on the chosen runtime. They need no cloud identity, so
   * every runtime kind can run them; a client is built per test (its token is the one being tested) with
   * this process's redactor.
   */
  async testGitHub(
    runtime: Pick<RuntimeV1alpha1, 'metadata' | 'spec'>,
    input: GitHubConnectionInput,
    onCheck?: (check: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult> {
    const { testGitHubConnection } = await import('../integrations/github/probe.js');
    return testGitHubConnection(input, this.tokenProbeContext(runtime), onCheck ? { onCheck } : {});
  }

  async testJira(
    runtime: Pick<RuntimeV1alpha1, 'metadata' | 'spec'>,
    input: JiraConnectionInput,
    onCheck?: (check: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult> {
    const { testJiraConnection } = await import('../integrations/jira/probe.js');
    return testJiraConnection(input, this.tokenProbeContext(runtime), onCheck ? { onCheck } : {});
  }

  private tokenProbeContext(runtime: Pick<RuntimeV1alpha1, 'metadata' | 'spec'>) {
    return {
      runtime: { name: runtime.metadata.name, type: runtime.spec.type },
      redactor: this.options.redactor,
      ...(this.options.requestTimeoutMs !== undefined
        ? { requestTimeoutMs: this.options.requestTimeoutMs }
        : {}),
    };
  }
}
