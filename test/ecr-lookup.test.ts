import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EcrClientCache } from '../src/integrations/registry/ecr/clients.js';
import { EcrImageLookup, type ImageRequest } from '../src/integrations/registry/ecr/images.js';
import { Redactor } from '../src/logging/redactor.js';
import { startGatedProxy, type GatedProxy } from './peers/gated-proxy.js';
import { startMoto, type MotoPeer } from './peers/moto.js';
import { ACCOUNT, REGION } from './helpers/ecr-seed.js';
import { createHash } from 'node:crypto';

// How EcrImageLookup shares DescribeImages / BatchGetImage calls between concurrent reports, against moto
// through a gate proxy that holds every request until the test lets it through, so "a call is in flight"
// is a fact of the test, not a matter of timing.

const REPO = 'lookup/app';
const TAGS = Array.from({ length: 12 }, (_, i) => `t${i}`);
const digests = new Map<string, string>();

let moto: MotoPeer;
let gate: GatedProxy;
let lookup: EcrImageLookup;

const req = (tag: string): ImageRequest => ({
  credentials: {
    key: 'test',
    provider: () => Promise.resolve({ accessKeyId: 'AKIATESTLOOKUP00000', secretAccessKey: 'x' }),
  },
  region: REGION,
  endpoint: gate.url,
  registryId: ACCOUNT,
  repository: REPO,
  id: { imageTag: tag },
  maxAttempts: 1,
});

/** The requests through the gate: each action and how many image ids it asked for. */
const seen = () =>
  gate.seen.map(({ action, body }) => ({
    target: action,
    ids: (JSON.parse(body || '{}') as { imageIds?: unknown[] }).imageIds?.length ?? 0,
  }));

/** What a report asks: both lookups at once. */
const both = (tag: string) => Promise.all([lookup.describe(req(tag)), lookup.getManifest(req(tag))]);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

beforeAll(async () => {
  moto = await startMoto();
  const ecr = new ECRClient({
    region: REGION,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'AKIASEEDER000000000', secretAccessKey: 'seed' },
  });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: REPO }));
  for (const tag of TAGS) {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${createHash('sha256').update(tag).digest('hex')}`,
        size: 2,
      },
      layers: [],
    });
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    digests.set(tag, digest);
    await ecr.send(
      new PutImageCommand({
        repositoryName: REPO,
        imageManifest: manifest,
        imageTag: tag,
        imageDigest: digest,
      }),
    );
  }
  gate = await startGatedProxy(moto.endpoint);
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  await moto?.stop();
});

describe('EcrImageLookup against moto', () => {
  it('lookups asked in one turn share one DescribeImages and one BatchGetImage', async () => {
    gate.seen.length = 0;
    lookup = new EcrImageLookup(new EcrClientCache({ redactor: new Redactor() }));
    gate.open();
    const results = await Promise.all(TAGS.map(both));
    expect(seen()).toEqual([
      expect.objectContaining({ target: expect.stringMatching(/DescribeImages|BatchGetImage/), ids: 12 }),
      expect.objectContaining({ target: expect.stringMatching(/DescribeImages|BatchGetImage/), ids: 12 }),
    ]);
    expect(new Set(seen().map((s) => s.target))).toEqual(new Set(['DescribeImages', 'BatchGetImage']));
    expect(lookup.calls).toEqual({ describeImages: 1, batchGetImage: 1 });
    // Each caller gets its own image back, not a neighbour's.
    TAGS.forEach((tag, i) => {
      expect(results[i]![0].imageDigest).toBe(digests.get(tag));
      expect(results[i]![1].digest).toBe(digests.get(tag));
    });
  });

  it('a lone lookup goes out at once; lookups arriving while it is in flight go out together after it', async () => {
    gate.seen.length = 0;
    lookup = new EcrImageLookup(new EcrClientCache({ redactor: new Redactor() }));
    gate.close();
    const first = both('t0');
    // Both calls of the first report reach the (closed) gate without waiting for anything else.
    await until(() => gate.held.length === 2);
    const rest = TAGS.slice(1).map(both);
    // Nothing more is sent while the first calls are in flight…
    await new Promise((r) => setTimeout(r, 100));
    expect(seen()).toHaveLength(2);
    gate.open();
    const results = await Promise.all([first, ...rest]);
    // …then the eleven waiting reports share one call of each kind.
    expect(seen().map((s) => s.ids)).toEqual([1, 1, 11, 11]);
    expect(lookup.calls).toEqual({ describeImages: 2, batchGetImage: 2 });
    TAGS.forEach((tag, i) => expect(results[i]![1].digest).toBe(digests.get(tag)));
  });

  it('a BatchGetImage does not wait for a DescribeImages in flight (an index child needs only the manifest)', async () => {
    gate.seen.length = 0;
    lookup = new EcrImageLookup(new EcrClientCache({ redactor: new Redactor() }));
    gate.close();
    const described = lookup.describe(req('t0'));
    await until(() => gate.held.length === 1);
    const got = lookup.getManifest(req('t1'));
    await until(() => gate.held.length === 2);
    expect(seen().map((s) => s.target)).toEqual(['DescribeImages', 'BatchGetImage']);
    gate.open();
    expect((await got).digest).toBe(digests.get('t1'));
    expect((await described).imageDigest).toBe(digests.get('t0'));
  });

  it('one unknown tag in a shared batch fails only its own report', async () => {
    gate.seen.length = 0;
    lookup = new EcrImageLookup(new EcrClientCache({ redactor: new Redactor() }));
    gate.open();
    const [good, bad] = await Promise.allSettled([both('t3'), both('missing')]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/missing/);
  });
});
