import { createHash } from 'node:crypto';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { AppError, InputError, UnavailableError } from '../domain/errors.js';
import { classifyRemoteFailure } from '../integrations/remote-failure.js';
import type { Redactor } from '../logging/redactor.js';
import type { EcrEndpoints } from '../integrations/types/registry-ecr/kind.js';
import type { z } from 'zod';
import { notEcrHostReason, parseEcrHost } from '../integrations/registry/ecr/host.js';
import { integrationCredentials, type EcrAuth } from '../integrations/registry/ecr/credentials.js';
import type { ClientRequest } from '../integrations/registry/ecr/clients.js';
import { ecrTokenAuth } from '../integrations/registry/ecr/registry-auth.js';
import { EcrApiError, type EcrManifest, type ImageRequest } from '../integrations/registry/ecr/images.js';
import { RegistryClient } from '../integrations/registry/oci/client.js';
import { RegistryTimeoutError, RegistryUnreachableError } from '../integrations/registry/oci/errors.js';
import { nodeTransport } from '../integrations/registry/oci/transport.js';
import { meteredTransport } from '../integrations/registry/oci/metered-transport.js';
import type { EcrEnrichDeps } from '../integrations/registry/ecr/enrich-deps.js';
import type { ImageReference } from '../integrations/registry/oci/reference.js';
import { artifactKind, isArtifactTag, tagSchemaTag } from '../integrations/registry/oci/referrers.js';
import {
  isImageManifest,
  isIndex,
  parseImageConfig,
  parseManifest,
  type ImageConfig,
  type ImageManifest,
  type IndexManifest,
  type Manifest,
} from '../integrations/registry/oci/schema.js';
import type { EnrichedImage, Layer, Platform, Referrer } from '../contract/images.js';
import { applyIndexFacts, indexFacts, safeEnv } from './index-facts.js';

export interface EcrTarget {
  ref: ImageReference;
  region: string;
  auth: EcrAuth;
  endpoints?: z.infer<typeof EcrEndpoints>;
  runtime: { name: string; ambient: AwsCredentialIdentityProvider | null };
}

export type StepReporter = (name: string, message: string, status?: 'ok' | 'skipped') => void;

const TAG_LIST_TTL_MS = 30_000;

/**
 * Registry facts of one ECR image. Account and region come from the image host, never from the token's
 * proxyEndpoint. The critical path is BatchGetImage → config blob (each needs the one before); everything
 * else runs beside it: DescribeImages (shared with concurrent reports of the same repository) and the
 * repository's tag list (referrer tags) go out with BatchGetImage, and its answers are awaited only at the
 * end; so is the ECR token the blob GET will need asked for. The config blob comes through the registry API
 * with that token.
 */
export async function enrichEcrImage(
  t: EcrTarget,
  deps: EcrEnrichDeps,
  step: StepReporter,
): Promise<EnrichedImage> {
  const base = ecrApiBase(t, deps);
  const id = t.ref.digest ? { imageDigest: t.ref.digest } : { imageTag: t.ref.tag ?? 'latest' };
  const { registryId: _id, repository: _repo, ...api } = base;
  const registry = registryClientFor(t, api, deps);
  // Asked first, so BatchGetImage (the critical path) is sent first; the others are awaited later, and
  // are marked handled now so a failure there does not go unhandled while the critical path fails first.
  const got = manifestOf({ ...base, id }, t.ref.registry, deps);
  const detail = handled(deps.lookup.describe({ ...base, id }));
  const tags = handled(tagListOf(registry, t, base.credentials.key, deps));
  // The config blob GET needs the ECR token: asked now (a cache hit or a fetch shared with the tag list),
  // so a cached tag list with an expired token does not put GetAuthorizationToken after BatchGetImage;
  // one turn later, after the lookups' sends (setImmediate too), so BatchGetImage is on the wire first.
  setImmediate(() => void handled(deps.clients.authorizationToken({ ...api, registryHost: t.ref.registry })));
  const { digest, bytes, manifest } = await checkedManifest(t, await got);
  step('registry', `${manifest.mediaType} ${digest}`);

  const ctx = { t, base, registry, deps };
  const index = isIndex(manifest) ? handled(indexFactsOf(manifest, ctx)) : undefined;
  const single = isImageManifest(manifest) ? manifest : undefined;
  const at = { repository: t.ref.repository, credentials: base.credentials.key };
  const config = single && handled(configOf(registry, at, single.config.digest, deps));
  const referrers = handled(referrersOf(registry, t, digest, tags));
  const image = imageOf(t, await detail, digest, bytes.length, manifest);
  if (index) applyIndex(image, await index, step);
  else if (single && config) applyConfig(image, single, digest, await config, step);

  // Referrers are extra facts: when the registry cannot list them, the image record is still worth keeping.
  try {
    image.referrers.push(...(await referrers));
  } catch (err) {
    // A registry that does not answer at all is a failure to say, never a quiet "not listed".
    if (err instanceof RegistryTimeoutError || err instanceof RegistryUnreachableError) throw err;
    step('referrers', `not listed: ${err instanceof Error ? err.message : String(err)}`, 'skipped');
  }
  if (manifest.subject) step('subject', `artifact of ${manifest.subject.digest}`);
  return image;
}

/** The same promise, with its rejection marked handled: it is awaited later, maybe after another throws. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** The manifest's digest as the bytes say (moto invents digests unless told one), checked against the ask. */
async function checkedManifest(t: EcrTarget, got: EcrManifest) {
  const bytes = new TextEncoder().encode(got.manifest);
  const computed = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const digest = got.digest === computed ? got.digest : computed;
  if (t.ref.digest && t.ref.digest !== digest) {
    throw new InputError(
      `The manifest ECR returned for ${t.ref.original} hashes to ${digest}, not the digest asked for.`,
    );
  }
  return Promise.resolve({ digest, bytes, manifest: parseManifest(bytes, got.mediaType) });
}

type ApiBase = ReturnType<typeof ecrApiBase>;
type ImageDetailOfEcr = Awaited<ReturnType<EcrEnrichDeps['lookup']['describe']>>;
type IndexFacts = Awaited<ReturnType<typeof indexFacts>>;
interface EnrichContext {
  t: EcrTarget;
  base: ApiBase;
  registry: ReturnType<typeof registryClientFor>;
  deps: EcrEnrichDeps;
}

/** The ECR API's parameters for this image: account and region from the image host, the integration's credentials. */
function ecrApiBase(t: EcrTarget, deps: EcrEnrichDeps) {
  const host = parseEcrHost(t.ref.registry);
  if (!host) {
    const why = notEcrHostReason(t.ref.registry);
    throw new InputError(why.message, { hints: why.hints });
  }
  const region = host.region;
  const credentials = integrationCredentials(t.auth, {
    runtime: t.runtime,
    clients: deps.clients,
    redactor: deps.redactor,
    region,
    ...(t.endpoints?.sts ? { stsEndpoint: t.endpoints.sts } : {}),
  });
  return {
    credentials,
    region,
    ...(t.endpoints?.api ? { endpoint: t.endpoints.api } : {}),
    ...(host.fips ? { fips: true } : {}),
    ...(host.dualStack ? { dualStack: true } : {}),
    registryId: host.account,
    repository: t.ref.repository,
  };
}

/** What DescribeImages and the manifest say, before platforms, config and referrers are added. */
function imageOf(
  t: EcrTarget,
  detail: ImageDetailOfEcr,
  digest: string,
  manifestSize: number,
  manifest: Manifest,
): EnrichedImage {
  const image: EnrichedImage = {
    registry: t.ref.registry,
    repository: t.ref.repository,
    digest,
    mediaType: manifest.mediaType,
    tags: (detail.imageTags ?? []).filter((tag) => !isArtifactTag(tag)).sort(),
    size: manifestSize,
    ...(detail.imageSizeInBytes !== undefined ? { registrySize: detail.imageSizeInBytes } : {}),
    ...(detail.imagePushedAt ? { pushedAt: detail.imagePushedAt.toISOString() } : {}),
    platforms: [],
    layers: [],
    labels: {},
    annotations: manifest.annotations ?? {},
    referrers: [],
    registryType: 'registry.ecr',
  };
  if (t.ref.tag && !isArtifactTag(t.ref.tag) && !image.tags.includes(t.ref.tag)) image.tags.push(t.ref.tag);
  const summary = detail.imageScanFindingsSummary;
  if (detail.imageScanStatus || summary) {
    image.scan = {
      ...(detail.imageScanStatus?.status ? { status: detail.imageScanStatus.status } : {}),
      ...(summary?.imageScanCompletedAt ? { completedAt: summary.imageScanCompletedAt.toISOString() } : {}),
      severityCounts: { ...(summary?.findingSeverityCounts ?? {}) },
    };
  }
  return image;
}

/**
 * Platforms (nested indexes followed), attestations apart, and the created time, labels and Env of one
 * platform image, since an index has no config of its own (index-facts.ts).
 */
function indexFactsOf(manifest: IndexManifest, { t, base, registry, deps }: EnrichContext) {
  return indexFacts(manifest, {
    manifest: async (digest) => {
      const child = await manifestOf({ ...base, id: { imageDigest: digest } }, t.ref.registry, deps);
      return parseManifest(new TextEncoder().encode(child.manifest), child.mediaType);
    },
    config: (digest) =>
      configOf(registry, { repository: t.ref.repository, credentials: base.credentials.key }, digest, deps),
  });
}

function applyIndex(image: EnrichedImage, facts: IndexFacts, step: StepReporter): void {
  applyIndexFacts(image, facts);
  step('platforms', image.platforms.map(platformText).join(', ') || 'none');
  if (facts.config?.labelsFrom)
    step(
      'config',
      `created, labels and Env from ${facts.config.labelsFrom.platform} ${facts.config.labelsFrom.digest}`,
    );
  for (const note of facts.notes) step('index', note, 'skipped');
}

/** A single-platform image: its layers, and what its config blob says. */
function applyConfig(
  image: EnrichedImage,
  manifest: ImageManifest,
  digest: string,
  config: ImageConfig,
  step: StepReporter,
): void {
  image.layers = manifest.layers.map((l): Layer => ({
    digest: l.digest,
    size: l.size,
    mediaType: l.mediaType,
  }));
  image.size += manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
  if (config.created) image.createdAt = config.created;
  image.labels = config.config?.Labels ?? {};
  const env = safeEnv(config.config?.Env);
  image.config = {
    ...(config.os ? { os: config.os } : {}),
    ...(config.architecture ? { architecture: config.architecture } : {}),
    historyCount: config.history?.length ?? 0,
    ...(env ? { env } : {}),
  };
  image.platforms.push({
    os: config.os ?? 'unknown',
    architecture: config.architecture ?? 'unknown',
    ...(config.variant ? { variant: config.variant } : {}),
    digest,
    size: image.size,
    mediaType: manifest.mediaType,
  });
  step('config', `${config.os ?? '?'}/${config.architecture ?? '?'}, created ${config.created ?? 'unknown'}`);
}

/** A manifest from ECR, from the cache when asked by digest (a tag may move; a digest never does). */
async function manifestOf(req: ImageRequest, registry: string, deps: EcrEnrichDeps): Promise<EcrManifest> {
  const byDigest = 'imageDigest' in req.id ? req.id.imageDigest : undefined;
  // Keyed by the credentials too: a manifest is served only to credentials that read it themselves.
  const keyOf = (digest: string) => `${req.credentials.key}|${registry}/${req.repository}@${digest}`;
  const cached = byDigest ? deps.manifests?.get(keyOf(byDigest)) : undefined;
  if (cached) return cached;
  const m = await deps.lookup.getManifest(req);
  deps.manifests?.set(keyOf(m.digest), m, m.manifest.length);
  return m;
}

function platformText(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function registryClientFor(t: EcrTarget, api: ClientRequest, deps: EcrEnrichDeps): RegistryClient {
  const endpoint = t.endpoints?.registry ?? `https://${t.ref.registry}`;
  const key = `${api.credentials.key}|${endpoint}|${t.endpoints?.api ?? ''}`;
  let client = deps.registries.get(key);
  if (!client) {
    client = new RegistryClient({
      endpoint,
      redactor: deps.redactor,
      ...(deps.requestTimeoutMs ? { timeoutMs: deps.requestTimeoutMs } : {}),
      ...(deps.telemetry ? { transport: meteredTransport(nodeTransport(), deps.telemetry) } : {}),
      auth: ecrTokenAuth({
        clients: deps.clients,
        request: api,
        registryHost: t.ref.registry,
        redactor: deps.redactor,
        mapError: (err) => tokenError(err, deps.redactor),
      }),
    });
    deps.registries.set(key, client);
  }
  return client;
}

/**
 * GetAuthorizationToken (and the AssumeRole behind it) can be throttled or time out like any call; those
 * must stay retryable, while a refusal of the credentials is final.
 */
function tokenError(err: unknown, redactor: Redactor): Error {
  if (err instanceof AppError) return err;
  const c = classifyRemoteFailure(err, redactor, { action: 'ecr:GetAuthorizationToken' });
  return c.retryable
    ? new UnavailableError(c.message, { cause: err, hints: c.hints })
    : new EcrApiError(c.errorClass, c.message, c.hints, err);
}

/** An image config by digest; cached per credentials, like the manifests, so each reads its own. */
async function configOf(
  registry: RegistryClient,
  at: { repository: string; credentials: string },
  digest: string,
  deps: EcrEnrichDeps,
): Promise<ImageConfig> {
  const key = `${at.credentials}|${digest}`;
  const cached = deps.configs.get(key);
  if (cached) return cached;
  const bytes = await registry.getBlob(at.repository, digest, { maxBytes: 8 * 1024 * 1024 });
  const config = parseImageConfig(bytes);
  deps.configs.set(key, config, bytes.length);
  return config;
}

/**
 * The repository's tag list, cached briefly, so a burst of reports costs one list call. Keyed by the
 * credentials too: an integration sees only what its own credentials may list.
 */
function tagListOf(
  registry: RegistryClient,
  t: EcrTarget,
  credentials: string,
  deps: EcrEnrichDeps,
): Promise<string[]> {
  const now = (deps.now ?? Date.now)();
  const key = `${credentials}|${t.endpoints?.registry ?? ''}|${t.ref.registry}/${t.ref.repository}`;
  let entry = deps.tagLists.get(key);
  if (!entry || now - entry.at > TAG_LIST_TTL_MS) {
    entry = { at: now, tags: registry.listTags(t.ref.repository) };
    const mine = entry;
    // A failed listing is forgotten, unless a newer one has replaced it meanwhile.
    entry.tags.catch(() => deps.tagLists.get(key) === mine && deps.tagLists.delete(key));
    deps.tagLists.set(key, entry);
    if (deps.tagLists.size > 1000) deps.tagLists.delete(deps.tagLists.keys().next().value!);
  }
  return entry.tags;
}

const COSIGN_TAGS = [
  ['sig', 'signature'],
  ['att', 'attestation'],
  ['sbom', 'sbom'],
] as const;

/**
 * Referrers through the repository's tag list: the OCI tag schema (`sha256-<hex>` → an index of referrers)
 * and cosign tags (`sha256-<hex>.sig|.att|.sbom`). The (at most four) manifests are read in parallel.
 */
async function referrersOf(
  registry: RegistryClient,
  t: EcrTarget,
  digest: string,
  tagList: Promise<string[]>,
): Promise<Referrer[]> {
  const tags = new Set(await tagList);
  const base = tagSchemaTag(digest);
  const schema = tags.has(base) ? registry.getManifest(t.ref.repository, base) : undefined;
  const cosign = COSIGN_TAGS.filter(([suffix]) => tags.has(`${base}.${suffix}`)).map(
    async ([suffix, kind]): Promise<Referrer> => {
      const tag = `${base}.${suffix}`;
      const m = await registry.getManifest(t.ref.repository, tag);
      const artifactType = artifactTypeOf(m.manifest);
      return {
        digest: m.digest,
        kind,
        mediaType: m.mediaType,
        tag,
        ...(artifactType ? { artifactType } : {}),
      };
    },
  );
  const [idx, signed] = await Promise.all([schema, Promise.all(cosign)]);
  const out: Referrer[] = [];
  if (idx && isIndex(idx.manifest)) {
    for (const d of idx.manifest.manifests) {
      out.push({
        digest: d.digest,
        kind: artifactKind(d.artifactType),
        mediaType: d.mediaType,
        ...(d.artifactType ? { artifactType: d.artifactType } : {}),
        tag: base,
      });
    }
  }
  return [...out, ...signed];
}

function artifactTypeOf(m: Manifest): string | undefined {
  if ('artifactType' in m && m.artifactType) return m.artifactType;
  if (isImageManifest(m)) return m.config.mediaType;
  return undefined;
}
