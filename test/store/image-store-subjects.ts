import { beforeEach } from 'vitest';
import type { EnrichedImage, ImageListQuery, ImageSummary } from '../../src/contract/images.js';
import { FakeImageStore } from '../../src/store/fake-image-store.js';
import type { EnrichmentRecord, ImageStore } from '../../src/store/image-store.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { eachDatabase, useTestDatabase, type TestDatabase } from '../helpers/databases.js';

// What the image store tests (image-store-record, image-store-list) share: every image store, for
// `describe.each` (the in-memory fake and one per SQL engine), and the enrichments they record.

type Subject = { store: (now?: () => Date) => ImageStore; database?: () => TestDatabase };

export const subjects: [string, () => Subject][] = [
  ['fake', () => ({ store: (now) => new FakeImageStore({ now }) })],
  ...eachDatabase().map((engine): [string, () => Subject] => [
    engine,
    () => {
      const database = useTestDatabase(engine);
      return {
        store: (now) => new SqlImageStore({ db: database().db, dialect: database().engine, now }),
        database,
      };
    },
  ]),
];

export const hex = (n: number, len = 64) => n.toString(16).padStart(len, '0');
export const digestOf = (n: number) => `sha256:${hex(n)}`;

function image(n: number, over: Partial<EnrichedImage> = {}): EnrichedImage {
  return {
    registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    repository: 'team/app',
    digest: digestOf(n),
    mediaType: 'application/vnd.oci.image.index.v1+json',
    tags: [`v${n}`],
    size: 3_000_000_000 + n,
    registrySize: 1_234_567,
    pushedAt: '2024-12-31T23:00:00.000Z',
    createdAt: '2024-12-31T22:59:00.000Z',
    platforms: [
      {
        os: 'linux',
        architecture: 'amd64',
        digest: `sha256:${hex(n + 1000)}`,
        size: 1000,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
      {
        os: 'linux',
        architecture: 'arm64',
        variant: 'v8',
        digest: `sha256:${hex(n + 2000)}`,
        size: 1001,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
    ],
    layers: [
      {
        digest: `sha256:${hex(n + 3000)}`,
        size: 500,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      },
    ],
    labels: { 'org.opencontainers.image.source': 'https://github.com/acme/app' },
    annotations: { 'org.opencontainers.image.revision': 'abc' },
    config: { os: 'linux', architecture: 'amd64', historyCount: 7 },
    scan: { status: 'COMPLETE', severityCounts: { HIGH: 1 } },
    referrers: [
      {
        digest: `sha256:${hex(n + 4000)}`,
        kind: 'signature',
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        tag: `sha256-${hex(n)}.sig`,
      },
    ],
    registryType: 'registry.ecr',
    ...over,
  };
}

export function report(
  n: number,
  over: Partial<EnrichmentRecord> = {},
  img: Partial<EnrichedImage> = {},
): EnrichmentRecord {
  return {
    image: image(n, img),
    build: {
      workflowName: 'build-and-push',
      workflowUrl: `https://ci.example.com/runs/${n}`,
      logsUrl: `https://ci.example.com/runs/${n}/logs`,
      ciType: 'github-actions',
      runtime: 'local',
      reportId: `rep_${n}`,
      reportedAt: '2025-01-01T00:00:00.000Z',
    },
    git: {
      provider: 'github',
      repo: 'acme/app',
      branch: 'main',
      sha: hex(n, 40),
      message: `PROJ-${n}: change ${n}`,
      author: { name: 'Ann', email: 'ann@example.com' },
      time: '2024-12-31T21:00:00.000Z',
      url: `https://github.com/acme/app/commit/${hex(n, 40)}`,
      parents: [hex(n + 1, 40)],
    },
    pullRequests: [
      {
        number: n,
        title: `PR ${n}`,
        url: `https://github.com/acme/app/pull/${n}`,
        state: 'merged',
        author: 'ann',
        mergedAt: '2024-12-31T20:00:00.000Z',
      },
    ],
    issues: [
      {
        key: `PROJ-${n}`,
        title: `Issue ${n}`,
        status: 'Done',
        statusCategory: 'done',
        assignee: 'Ann',
        url: `https://jira.example.com/browse/PROJ-${n}`,
      },
    ],
    ...over,
  };
}

export async function all(
  store: ImageStore,
  query: Omit<ImageListQuery, 'limit'> & { limit?: number },
): Promise<ImageSummary[]> {
  const out: ImageSummary[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await store.list({ limit: 50, ...query, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
  throw new Error('too many pages');
}

/** Empties the image tables before each test of the enclosing describe block (SQL engines only). */
export function useEmptyImageTables(subject: Subject): void {
  beforeEach(async () => {
    if (!subject.database) return;
    const { db } = subject.database();
    // Children cascade from images and builds.
    await db.deleteFrom('images').execute();
    await db.deleteFrom('commit_pull_requests').execute();
    await db.deleteFrom('pull_requests').execute();
    await db.deleteFrom('commits').execute();
    await db.deleteFrom('issues').execute();
  });
}
