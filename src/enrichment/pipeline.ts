import { InputError } from '../domain/errors.js';
import { assertSpecEndpoints } from '../config-repo/endpoints.js';
import type { EndpointPolicy } from '../domain/endpoints.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { ConfigSnapshot, IntegrationEntry } from '../config-repo/snapshot.js';
import { chooseRegistryIntegration } from './registry-choice.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { RuntimeExecutor } from '../runtimes/executor.js';
import { availabilityOfSpec } from '../integrations/availability.js';
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
  PipelineResult,
} from '../contract/images.js';
import type { GitEnricher, IssueEnricher } from './enrichers.js';
import { ClientCache, fingerprint, openForRuntime } from './sealed.js';

export interface PipelineJob {
  id: string;
  input: ImageReportInput;
  runtime: string;
  createdAt?: string;
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
  /** Where credentials may be sent (`--allow-endpoint`), checked again right before sending. */
  endpoints?: EndpointPolicy;
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
      const found = await this.deps.issues.issues(snap, job.runtime, job.input, git, (m) =>
        step('issue-keys', 'skipped', m),
      );
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
    const entry = chooseRegistryIntegration(snap, runtimeName, input.registryIntegration, ref);
    if (entry.resource.spec.type !== 'registry.ecr') {
      throw new InputError(
        `Integration "${entry.name}" is of type ${entry.resource.spec.type}, not a registry integration.`,
      );
    }
    assertSpecEndpoints(entry.resource.spec, this.deps.endpoints ?? { allow: [] });
    const spec = entry.resource.spec.ecr;
    const avail = availabilityOfSpec(entry.resource.spec, runtime);
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
   * The runtime opens its own sealed secrets; hosted runtimes run here on the control plane's key. Opened
   * once per (integration, runtime, stored settings), not per report: unsealing is a few ms of CPU.
   */
  private clearAuth(entry: IntegrationEntry, runtime: string): Promise<EcrAuth> {
    if (entry.resource.spec.type !== 'registry.ecr')
      throw new InputError(`Integration "${entry.name}" is not an ECR integration.`);
    const auth = entry.resource.spec.ecr.auth;
    if (auth.mode === 'iamRole') return Promise.resolve(auth);
    // The whole section: a changed endpoint must not reuse a secret opened for the old one.
    return this.#opened.get(entry.name, runtime, fingerprint(entry.resource.spec.ecr), async () => ({
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
