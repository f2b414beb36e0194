import { createHash } from 'node:crypto';
import * as z from 'zod';
import { InputError } from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import {
  ImageListQuery,
  type BuildFacts,
  type EnrichedImage,
  type GitFacts,
  type ImageDetail,
  type ImageSummary,
  type IssueFacts,
  type PullRequest,
  type ReportStep,
} from '../contract/images.js';
import type { DeploymentListFilter } from './deployment-store.js';

/**
 * The image-record port: `sql-image-store.ts` (Kysely, SQLite and PostgreSQL) and `fake-image-store.ts`
 * (in-memory). An image is keyed by registry + repository + digest; builds, commits, pull requests and
 * issues hang off it. Shared helpers (build key, cursor, list-query normalisation) live here so both
 * implementations agree.
 */

export interface EnrichmentRecord {
  image: EnrichedImage;
  build: BuildFacts;
  git?: GitFacts;
  pullRequests?: PullRequest[];
  issues?: IssueFacts[];
}

export interface RecordResult {
  imageId: string;
  buildId: string;
  /** The image was new (first report of this registry + repository + digest). */
  created: boolean;
  /** The build was new (not a repeat of the same workflow run / git state for this image). */
  buildCreated: boolean;
}

/**
 * A report to mark succeeded with the recording, when its lease is still `owner`'s (the agent's completion).
 * A store may do it in the recording's statement and say so (`completed`); when it does not, the caller
 * marks the report itself (ReportStore.succeed), as it would without this.
 */
export interface ReportCompletion {
  reportId: string;
  owner: string;
  steps: ReportStep[];
}

export interface ImagePage {
  items: ImageSummary[];
  /** Present when there may be more; pass back as `cursor`. */
  nextCursor?: string;
}

export interface ImageStore {
  /**
   * Atomic and idempotent: the same report twice gives one image and one build. One transaction, or on
   * PostgreSQL one statement for a plain enrichment. With `completes`, either also marks that report
   * succeeded while the lease is the caller's (`completed`); without it, the caller writes the outcome.
   */
  recordEnrichment(
    record: EnrichmentRecord,
    completes?: ReportCompletion,
  ): Promise<RecordResult & { completed?: boolean }>;
  /**
   * Newest `updated_at` first, each with `deployedIn` (open deployment intervals of its digest or its
   * platforms'). Throws InputError for a malformed query or cursor.
   */
  list(query: ImageListQuery): Promise<ImagePage>;
  get(id: string): Promise<ImageDetail | null>;
  findByDigest(registry: string, repository: string, digest: string): Promise<string | null>;
}

/**
 * What makes two reports the same build: the workflow run and the Git state, not the report id, so a CI
 * retry that reports again does not add a build.
 */
export function buildKey(build: BuildFacts, git?: GitFacts): string {
  const parts = [
    build.workflowName ?? null,
    build.workflowUrl ?? null,
    build.logsUrl ?? null,
    build.runtime,
    git?.repo ?? null,
    git?.branch ?? null,
    git?.sha?.toLowerCase() ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

// ---- list query --------------------------------------------------------------------------------------

export interface Cursor {
  updatedAt: string;
  id: string;
}

const CursorTuple = z.tuple([z.iso.datetime(), z.string().min(1).max(200)]);

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.updatedAt, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  const bad = (cause?: unknown) =>
    new InputError('Invalid image list cursor: pass back the nextCursor of the previous page unchanged.', {
      cause,
      details: [{ path: 'cursor', message: 'malformed cursor' }],
    });
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (err) {
    throw bad(err);
  }
  const r = CursorTuple.safeParse(raw);
  if (!r.success) throw bad(r.error);
  return { updatedAt: r.data[0], id: r.data[1] };
}

/** The list query after validation, with each filter in the form both stores match on. */
export interface NormalizedListQuery {
  limit: number;
  cursor?: Cursor;
  registry?: string;
  /** Exact repository… */
  repository?: string;
  /** …or every repository that starts with this (`team/*`). */
  repositoryPrefix?: string;
  tag?: string;
  branch?: string;
  /** Lowercase hex, at least 7 characters; matches every SHA that starts with it. */
  commitPrefix?: string;
  issue?: string;
  digest?: string;
  /** Deployment filters, matched by `sql-deployment-images.ts`. */
  deployment?: DeploymentListFilter;
}

export function normalizeListQuery(query: ImageListQuery): NormalizedListQuery {
  const q = parseInput(ImageListQuery, query, 'image list query');
  const out: NormalizedListQuery = { limit: q.limit };
  if (q.cursor !== undefined) out.cursor = decodeCursor(q.cursor);
  if (q.registry) out.registry = q.registry;
  if (q.repository) {
    if (q.repository.endsWith('*')) {
      const prefix = q.repository.slice(0, -1);
      if (prefix.includes('*'))
        throw new InputError(
          'Invalid image list query: only a trailing * is supported in repository (team/*).',
        );
      // `*` alone means every repository.
      if (prefix) out.repositoryPrefix = prefix;
    } else {
      out.repository = q.repository;
    }
  }
  if (q.tag) out.tag = q.tag;
  if (q.branch) out.branch = q.branch;
  if (q.commit) {
    if (!/^[0-9a-f]{7,64}$/i.test(q.commit))
      throw new InputError(
        'Invalid image list query: commit must be at least 7 hex characters of a commit SHA.',
        {
          details: [{ path: 'commit', message: 'must be 7 to 64 hex characters' }],
        },
      );
    out.commitPrefix = q.commit.toLowerCase();
  }
  // Jira keys are upper case (PROJ-123); people type them in any case.
  if (q.issue) out.issue = q.issue.toUpperCase();
  const deployment = deploymentFilter(q);
  if (deployment) out.deployment = deployment;
  if (q.digest) out.digest = /^[0-9a-f]{64}$/i.test(q.digest) ? `sha256:${q.digest.toLowerCase()}` : q.digest;
  return out;
}

/**
 * The smallest string greater than every string that starts with `prefix`, in byte (code point) order:
 * `prefix <= s < prefixEnd(prefix)` is "s starts with prefix" and can use an ordinary index.
 */
export function prefixEnd(prefix: string): string {
  const cps = [...prefix];
  while (cps.length > 0) {
    const last = cps.pop() as string;
    const cp = last.codePointAt(0) as number;
    if (cp < 0x10ffff) {
      let next = cp + 1;
      // Skip the surrogate range, which is not a valid code point on its own.
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  // Only U+10FFFF characters: nothing sorts after the prefix in a way we can bound; no upper bound needed.
  return '\u{10ffff}'.repeat(prefix.length + 1);
}

/** `deployed=true` is implied by any of application, runtime or namespace. */
function deploymentFilter(q: ImageListQuery): DeploymentListFilter | undefined {
  const f: DeploymentListFilter = {};
  if (q.application !== undefined) f.application = q.application;
  if (q.runtime !== undefined) f.runtime = q.runtime;
  if (q.namespace !== undefined) f.namespace = q.namespace;
  if (q.deployed !== undefined) f.deployed = q.deployed === 'true';
  else if (Object.keys(f).length > 0) f.deployed = true;
  return Object.keys(f).length > 0 ? f : undefined;
}
