import { InputError, NotFoundError } from '../domain/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import { resolveIntegration, type ConfigSnapshot, type IntegrationEntry } from '../config-repo/snapshot.js';
import type { KeyStore } from '../runtimes/keys.js';
import type { RuntimeExecutor } from '../runtimes/executor.js';
import { availabilityOn } from '../integrations/availability.js';
import { parseReference } from '../integrations/registry/oci/reference.js';
import { isArtifactTag } from '../integrations/registry/oci/referrers.js';
import { repoSlug } from '../integrations/github/repo-slug.js';
import type { EcrAuth } from '../integrations/registry/ecr/credentials.js';
import { enrichEcrImage } from './ecr-enricher.js';
import type {
  BuildFacts,
  EnrichedImage,
  GitFacts,
  ImageReportInput,
  IssueFacts,
  PullRequest,
} from './model.js';
import type { GitEnricher, IssueEnricher } from './enrichers.js';
import { ClientCache, fingerprint, openForRuntime } from './sealed.js';

export interface PipelineJob {
  id: string;
  input: ImageReportInput;
  runtime: string;
  createdAt?: string;
}

export interface PipelineResult {
  image: EnrichedImage;
  build: BuildFacts;
  git?: GitFacts;
  pullRequests?: PullRequest[];
  issues?: IssueFacts[];
}

export type StepFn = (name: string, status: 'ok' | 'failed' | 'skipped', message?: string) => void;

export interface PipelineDeps {
  repo: Pick<ConfigRepo, 'snapshot'>;
  keys: KeyStore;
  executor: RuntimeExecutor;
  redactor: Redactor;
  logger: Logger;
  git?: GitEnricher;
  issues?: IssueEnricher;
}

/**
 * One report, on its runtime: resolve the registry integration as that runtime sees it, read the image's
 * registry facts with the integration's credentials, and join the Git and issue-tracker facts.
 */
export class EnrichmentPipeline {
  readonly #opened = new ClientCache<EcrAuth>();

  constructor(private readonly deps: PipelineDeps) {}

  async run(job: PipelineJob, step: StepFn): Promise<PipelineResult> {
    const snap = this.deps.repo.snapshot();
    const image = await this.registryFacts(snap, job.input, job.runtime, step);
    const build: BuildFacts = {
      runtime: job.runtime,
      reportId: job.id,
      reportedAt: job.createdAt ?? new Date().toISOString(),
      ...(job.input.workflow?.name ? { workflowName: job.input.workflow.name } : {}),
      ...(job.input.workflow?.url ? { workflowUrl: job.input.workflow.url } : {}),
      ...(job.input.workflow?.logsUrl ? { logsUrl: job.input.workflow.logsUrl } : {}),
      ...(job.input.workflow?.ciType ? { ciType: job.input.workflow.ciType } : {}),
      ...(job.input.dockerfile ? { dockerfile: job.input.dockerfile } : {}),
    };

    const result: PipelineResult = { image, build };
    const git = gitFacts(job.input);
    if (git) {
      result.git = git;
      if (this.deps.git && job.input.git?.integration) {
        const prs = await this.deps.git.pullRequests(snap, job.runtime, job.input.git.integration, git);
        result.pullRequests = prs;
        step('pull-requests', 'ok', prs.length ? prs.map((p) => `#${p.number}`).join(', ') : 'none');
      }
    }
    if (job.input.issues?.integration) {
      if (!this.deps.issues)
        throw new InputError('Issue tracking integrations are not available in this server.');
      const found = await this.deps.issues.issues(snap, job.runtime, job.input, git);
      result.issues = found;
      step(
        'issues',
        'ok',
        found.length ? found.map((i) => `${i.key} (${i.status})`).join(', ') : 'no issue keys found',
      );
    }
    return result;
  }

  /** Registry facts only, nothing stored: `imagetrail inspect --registry-integration`. */
  async inspect(
    input: Pick<ImageReportInput, 'image' | 'registryIntegration' | 'runtime'>,
    runtime: string,
  ): Promise<EnrichedImage> {
    return this.registryFacts(this.deps.repo.snapshot(), input, runtime, () => undefined);
  }

  private async registryFacts(
    snap: ConfigSnapshot,
    input: Pick<ImageReportInput, 'image' | 'registryIntegration'>,
    runtimeName: string,
    step: StepFn,
  ): Promise<EnrichedImage> {
    const runtime = snap.runtimes.get(runtimeName);
    if (!runtime)
      throw new InputError(`No runtime named "${runtimeName}" in the shared configuration repository.`);
    const can = this.deps.executor.canExecute(runtime);
    if (!can.ok) throw new InputError(`Cannot enrich on runtime "${runtimeName}": ${can.reason}.`);

    const ref = parseReference(input.image);
    if (ref.tag && isArtifactTag(ref.tag)) {
      throw new InputError(
        `${input.image} is a signature/attestation tag, not an image: it is recorded as an artifact of its subject (${ref.tag.replace(/^(sha\d+)-([0-9a-f]+).*$/, '$1:$2')}) when that image is reported.`,
      );
    }
    const entry = this.pickIntegration(snap, runtimeName, input.registryIntegration);
    if (entry.resource.spec.type !== 'registry.ecr') {
      throw new InputError(
        `Integration "${entry.name}" is of type ${entry.resource.spec.type}, not a registry integration.`,
      );
    }
    const spec = entry.resource.spec.ecr;
    const avail = availabilityOn(spec.auth.mode, runtime);
    if (!avail.available) throw new InputError(avail.reason!);
    step(
      'integration',
      'ok',
      `${entry.name} (${spec.auth.mode}, ${entry.placement.scope === 'all' ? 'all runtimes' : `runtime ${runtimeName}`})`,
    );

    const auth = await this.clearAuth(entry, runtimeName);
    const enrichDeps = await this.deps.executor.ecrEnrichDeps();
    return enrichEcrImage(
      {
        ref,
        region: spec.region,
        auth,
        ...(spec.endpoints ? { endpoints: spec.endpoints } : {}),
        runtime: { name: runtimeName, ambient: await this.deps.executor.ambientFor(runtime) },
      },
      enrichDeps,
      (name, message, status) => step(name, status ?? 'ok', message),
    );
  }

  /**
   * The integration named in the report, as the runtime sees it (a runtime's own copy wins over the
   * all-runtimes one). Without a name, the one registry integration the runtime can see, if only one.
   */
  private pickIntegration(snap: ConfigSnapshot, runtime: string, name: string | undefined): IntegrationEntry {
    if (name) {
      const entry = resolveIntegration(snap, runtime, name);
      if (!entry) {
        throw new NotFoundError(`Runtime "${runtime}" has no registry integration named "${name}".`, {
          hints: [`See what it can use: imagetrail runtime show ${runtime}`],
        });
      }
      return entry;
    }
    const names = [...new Set(snap.integrations.map((e) => e.name))];
    const visible = names
      .map((n) => resolveIntegration(snap, runtime, n))
      .filter((e): e is IntegrationEntry => e !== undefined && e.resource.spec.type === 'registry.ecr');
    if (visible.length === 1) return visible[0]!;
    throw new InputError(
      visible.length === 0
        ? `Runtime "${runtime}" has no registry integration to look the image up with.`
        : `Name the registry integration to use (CF_CONTAINER_REGISTRY_INTEGRATION / --registry-integration): runtime "${runtime}" can use ${visible.map((e) => e.name).join(', ')}.`,
    );
  }

  /**
   * The runtime opens its own sealed secrets; hosted runtimes run here on the control plane's key. Opened
   * once per (integration, runtime, stored settings), not per report: unsealing is a few ms of CPU.
   */
  private clearAuth(entry: IntegrationEntry, runtime: string): Promise<EcrAuth> {
    if (entry.resource.spec.type !== 'registry.ecr')
      throw new InputError(`Integration "${entry.name}" is not an ECR integration.`);
    const auth = entry.resource.spec.ecr.auth;
    if (auth.mode === 'iamRole') return Promise.resolve(auth);
    return this.#opened.get(entry.name, runtime, fingerprint(auth), async () => ({
      mode: 'accessKey',
      accessKeyId: auth.accessKeyId,
      secretAccessKey: await openForRuntime(
        this.deps,
        entry,
        runtime,
        auth.secretAccessKey,
        `Enter it again so it is re-sealed: imagetrail integration edit ${entry.name} --secret-access-key-stdin`,
      ),
    }));
  }
}

function gitFacts(input: ImageReportInput): GitFacts | undefined {
  const g = input.git;
  if (!g || (!g.repo && !g.sha && !g.branch)) return undefined;
  const out: GitFacts = {};
  for (const k of [
    'provider',
    'repo',
    'branch',
    'sha',
    'message',
    'author',
    'committer',
    'time',
    'parents',
  ] as const) {
    if (g[k] !== undefined) (out as Record<string, unknown>)[k] = g[k];
  }
  const url = githubCommitUrl(g.repo, g.sha, g.provider);
  if (url) out.url = url;
  return out;
}

/** A link to the commit on github.com, when the repository is known to live there. */
export function githubCommitUrl(
  repo: string | undefined,
  sha: string | undefined,
  provider: string | undefined,
): string | undefined {
  if (!repo || !sha) return undefined;
  const bareSlug = /^[\w.-]+\/[\w.-]+$/.test(repo);
  const onGitHub =
    /^(?:https?:\/\/|ssh:\/\/git@|git@)github\.com[/:]/i.test(repo) ||
    (bareSlug && (provider ?? 'github') === 'github');
  if (!onGitHub) return undefined;
  try {
    return `https://github.com/${repoSlug(repo)}/commit/${sha}`;
  } catch {
    return undefined;
  }
}
