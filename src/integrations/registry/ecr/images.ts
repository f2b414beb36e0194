import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ImageDetail as EcrImageDetail,
  type ImageFailure,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { AppError, NotFoundError, type ErrorKind } from '../../../domain/errors.js';
import type { ClientRequest, EcrClientCache } from './clients.js';
import { classifyAwsError } from './errors.js';
import { imageFailureEntry } from './codes/index.js';
import { isServerFault, isTransientFailure } from '../../remote-failure.js';

/**
 * An ECR API failure during enrichment, classified like the connection test's checks (same classes, same
 * messages naming the action and the policy that grants it). Transient classes are `unavailable`, so
 * the runner retries them; the rest are final.
 */
export class EcrApiError extends AppError {
  readonly kind: ErrorKind;
  constructor(
    readonly errorClass: string,
    message: string,
    hints: string[],
    cause: unknown,
  ) {
    super(message, { cause, hints });
    this.kind = isTransientFailure(errorClass, cause) ? 'unavailable' : 'check-failed';
  }
}

/** Every manifest media type, so ECR hands back indexes and lists as stored instead of converting them. */
export const ACCEPTED_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.oci.artifact.manifest.v1+json',
];

/** ECR's limit for imageIds in one DescribeImages / BatchGetImage call. */
const MAX_BATCH = 100;

export interface ImageRequest extends ClientRequest {
  registryId: string;
  repository: string;
  id: { imageTag: string } | { imageDigest: string };
}

export interface EcrManifest {
  digest: string;
  mediaType: string;
  manifest: string;
}

interface Pending<T> {
  id: ImageIdentifier;
  resolve(value: T): void;
  reject(err: unknown): void;
}

type Kind = 'describe' | 'get';

interface Batch {
  req: ImageRequest;
  describe: Array<Pending<EcrImageDetail>>;
  get: Array<Pending<EcrManifest>>;
}

/**
 * One repository's (credentials, region, registry) queue for one kind of call: the batch being filled,
 * and calls in flight. DescribeImages and BatchGetImage have separate lanes, so a manifest (an index's
 * child) never waits for a DescribeImages it does not need.
 */
interface Lane {
  next?: Batch;
  inFlight: number;
}

/**
 * Looks images up in ECR, sharing calls between concurrent reports. Per repository (same credentials,
 * region and registry) and kind of call, lookups go out at once when nothing of that kind is in flight
 * for it, and otherwise wait for the call in flight and then go out together: one DescribeImages or one
 * BatchGetImage of up to 100 ids. A lone report waits for nothing; a burst costs a few calls, not one per
 * report.
 */
export class EcrImageLookup {
  private readonly lanes = new Map<string, Lane>();
  /** Counts the ECR calls made, for benchmarks and tests of the call budget. */
  readonly calls = { describeImages: 0, batchGetImage: 0 };

  constructor(private readonly clients: EcrClientCache) {}

  describe(req: ImageRequest): Promise<EcrImageDetail> {
    return new Promise((resolve, reject) =>
      this.enqueue(req, 'describe', (b) => b.describe.push({ id: req.id, resolve, reject })),
    );
  }

  getManifest(req: ImageRequest): Promise<EcrManifest> {
    return new Promise((resolve, reject) =>
      this.enqueue(req, 'get', (b) => b.get.push({ id: req.id, resolve, reject })),
    );
  }

  private enqueue(req: ImageRequest, kind: Kind, add: (batch: Batch) => void): void {
    const key = [
      kind,
      req.credentials.key,
      req.region,
      req.endpoint ?? '',
      req.fips ?? false,
      req.dualStack ?? false,
      req.registryId,
      req.repository,
    ].join('|');
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { inFlight: 0 };
      this.lanes.set(key, lane);
    }
    if (!lane.next) {
      lane.next = { req, describe: [], get: [] };
      // An idle lane sends after this turn of the event loop, so lookups asked together share the batch;
      // a busy lane sends when its call ends.
      if (lane.inFlight === 0) {
        const l = lane;
        setImmediate(() => this.flush(key, l));
      }
    }
    add(lane.next);
    if (lane.next.describe.length >= MAX_BATCH || lane.next.get.length >= MAX_BATCH) this.flush(key, lane);
  }

  private flush(key: string, lane: Lane): void {
    const batch = lane.next;
    if (!batch) return;
    lane.next = undefined;
    lane.inFlight++;
    const call = batch.get.length
      ? this.runGet(batch.req, batch.get)
      : this.runDescribe(batch.req, batch.describe);
    const settled = () => {
      lane.inFlight--;
      if (lane.inFlight > 0) return;
      if (lane.next) this.flush(key, lane);
      else if (this.lanes.get(key) === lane) this.lanes.delete(key);
    };
    void call.then(settled, settled);
  }

  private async runDescribe(req: ImageRequest, pending: Array<Pending<EcrImageDetail>>): Promise<void> {
    const client = this.clients.ecr(req);
    const ids = dedupe(pending.map((p) => p.id));
    try {
      this.calls.describeImages++;
      const out = await client.send(
        new DescribeImagesCommand({
          registryId: req.registryId,
          repositoryName: req.repository,
          imageIds: ids,
        }),
      );
      for (const p of pending) {
        const found = (out.imageDetails ?? []).find((d) => matches(p.id, d.imageDigest, d.imageTags));
        if (found) p.resolve(found);
        else p.reject(notFound(req, p.id));
      }
    } catch (err) {
      // DescribeImages fails the whole call when one id is unknown; ask again one by one so one bad
      // report does not fail its neighbours.
      if (pending.length > 1 && errorName(err) === 'ImageNotFoundException') {
        for (const p of pending) void this.runDescribe(req, [p]);
        return;
      }
      for (const p of pending) p.reject(this.wrap(err, req, p.id, 'ecr:DescribeImages'));
    }
  }

  /** Turns SDK errors into messages a user can act on, naming the image or the missing permission. */
  private wrap(err: unknown, req: ImageRequest, id: ImageIdentifier, action: string): unknown {
    const name = errorName(err);
    if (name === 'ImageNotFoundException') return notFound(req, id);
    if (name === 'RepositoryNotFoundException') {
      return new NotFoundError(
        `ECR has no repository ${req.repository} in registry ${req.registryId} (region ${req.region}).`,
        {
          cause: err,
          hints: [
            'Check the repository name in the image reference, and that the image host names the right account and region.',
          ],
        },
      );
    }
    const c = classifyAwsError(err, {
      redactor: this.clients.redactor,
      action,
      region: req.region,
      ...(req.endpoint ? { endpoint: req.endpoint } : {}),
    });
    if (c.errorClass === 'unknown' && isServerFault(err)) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500;
      return new EcrApiError(
        'server-error',
        `ECR answered HTTP ${status} to ${action} for ${req.repository} (a fault on AWS's side; it is retried).`,
        [],
        err,
      );
    }
    return new EcrApiError(c.errorClass, c.message, c.hints, err);
  }

  private async runGet(req: ImageRequest, pending: Array<Pending<EcrManifest>>): Promise<void> {
    const client = this.clients.ecr(req);
    const ids = dedupe(pending.map((p) => p.id));
    try {
      this.calls.batchGetImage++;
      const out = await client.send(
        new BatchGetImageCommand({
          registryId: req.registryId,
          repositoryName: req.repository,
          imageIds: ids,
          acceptedMediaTypes: ACCEPTED_MEDIA_TYPES,
        }),
      );
      for (const p of pending) {
        const img = (out.images ?? []).find((i) =>
          matches(p.id, i.imageId?.imageDigest, i.imageId?.imageTag ? [i.imageId.imageTag] : []),
        );
        if (img?.imageManifest && img.imageId?.imageDigest) {
          p.resolve({
            digest: img.imageId.imageDigest,
            mediaType: img.imageManifestMediaType ?? mediaTypeOf(img.imageManifest),
            manifest: img.imageManifest,
          });
          continue;
        }
        const failure = (out.failures ?? []).find((f) => f.imageId && sameId(f.imageId, p.id));
        p.reject(failure ? imageFailureError(req, p.id, failure) : notFound(req, p.id));
      }
    } catch (err) {
      for (const p of pending) p.reject(this.wrap(err, req, p.id, 'ecr:BatchGetImage'));
    }
  }
}

/** A BatchGetImage per-image failure, classified by its code (codes/image-failures.ts), not all "not found". */
function imageFailureError(req: ImageRequest, id: ImageIdentifier, failure: ImageFailure): Error {
  if (failure.failureCode === 'ImageNotFound') return notFound(req, id);
  const { errorClass, meaning, hints } = imageFailureEntry(failure.failureCode);
  const message = `${meaning}: ECR could not return ${describeId(req, id)} (BatchGetImage ${failure.failureCode ?? ''}: ${failure.failureReason ?? ''}).`;
  return new EcrApiError(errorClass, message, [...hints], failure);
}

function matches(id: ImageIdentifier, digest: string | undefined, tags: string[] | undefined): boolean {
  if (id.imageDigest) return id.imageDigest === digest;
  return id.imageTag !== undefined && (tags ?? []).includes(id.imageTag);
}

function sameId(a: ImageIdentifier, b: ImageIdentifier): boolean {
  return (a.imageDigest ?? '') === (b.imageDigest ?? '') && (a.imageTag ?? '') === (b.imageTag ?? '');
}

function dedupe(ids: ImageIdentifier[]): ImageIdentifier[] {
  const seen = new Map<string, ImageIdentifier>();
  for (const id of ids) seen.set(`${id.imageDigest ?? ''}|${id.imageTag ?? ''}`, id);
  return [...seen.values()];
}

function describeId(req: ImageRequest, id: ImageIdentifier): string {
  return `${req.repository}${id.imageDigest ? `@${id.imageDigest}` : `:${id.imageTag ?? ''}`} in registry ${req.registryId}`;
}

function notFound(req: ImageRequest, id: ImageIdentifier): NotFoundError {
  return new NotFoundError(`ECR has no image ${describeId(req, id)}.`, {
    hints: ['Check the tag or digest, and that the image was pushed before it was reported.'],
  });
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string })?.name;
}

function mediaTypeOf(manifest: string): string {
  try {
    const m = JSON.parse(manifest) as { mediaType?: unknown; manifests?: unknown };
    if (typeof m.mediaType === 'string') return m.mediaType;
    return Array.isArray(m.manifests)
      ? 'application/vnd.oci.image.index.v1+json'
      : 'application/vnd.oci.image.manifest.v1+json';
  } catch {
    return 'application/octet-stream';
  }
}
