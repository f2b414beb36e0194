import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrichEcrImage, type EcrTarget } from '../src/enrichment/ecr-enricher.js';
import { EcrClientCache } from '../src/integrations/registry/ecr/clients.js';
import type { EcrEnrichDeps } from '../src/integrations/registry/ecr/enrich-deps.js';
import { EcrImageLookup } from '../src/integrations/registry/ecr/images.js';
import { LruCache } from '../src/integrations/registry/oci/cache.js';
import { parseReference } from '../src/integrations/registry/oci/reference.js';
import { Redactor } from '../src/logging/redactor.js';
import { startFaultProxy, type FaultProxy } from './peers/fault-proxy.js';
import { startGatedProxy, type GatedProxy } from './peers/gated-proxy.js';
import { startMoto, type MotoPeer } from './peers/moto.js';
import { startRegistry, type RegistryPeer } from './peers/registry.js';
import { EcrSeeder, HOST, REGION } from './helpers/ecr-seed.js';
import type { PushedImage } from './peers/images.js';

// The critical path of one report's enrichment, against moto and distribution: which requests wait for
// which. A gate in front of moto holds DescribeImages until the test lets it go, so "the blob GET went out
// while DescribeImages was still unanswered" is a fact of the test, not a matter of timing.

const REPO = 'overlap/app';
let moto: MotoPeer;
let registry: RegistryPeer;
let images: PushedImage[];

beforeAll(async () => {
  [moto, registry] = await Promise.all([startMoto(), startRegistry()]);
  const seed = new EcrSeeder(moto, registry);
  images = [await seed.image(REPO, 'a', { format: 'oci' }), await seed.image(REPO, 'b', { format: 'oci' })];
}, 120_000);

afterAll(async () => {
  await Promise.all([moto?.stop(), registry?.stop()]);
});

function depsOf(redactor: Redactor): EcrEnrichDeps {
  const clients = new EcrClientCache({ redactor, maxAttempts: 1 });
  return {
    clients,
    lookup: new EcrImageLookup(clients),
    redactor,
    configs: new LruCache(),
    manifests: new LruCache(),
    registries: new Map(),
    tagLists: new Map(),
  };
}

function target(tag: string, ecr: string, reg: string, accessKeyId = 'AKIAOVERLAPTEST00001'): EcrTarget {
  return {
    ref: parseReference(`${HOST}/${REPO}:${tag}`),
    region: REGION,
    // IAM enforcement is off here: moto accepts any key.
    auth: { mode: 'accessKey', accessKeyId, secretAccessKey: 'overlap-secret' },
    endpoints: { api: ecr, registry: reg },
    runtime: { name: 'local', ambient: null },
  };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`never happened: ${what}`);
}

describe('enrichment of one ECR image: what waits for what', () => {
  let gate: GatedProxy;
  let reg: FaultProxy;
  beforeAll(async () => {
    [gate, reg] = await Promise.all([
      startGatedProxy(moto.endpoint, { hold: ['DescribeImages'] }),
      startFaultProxy(registry.url),
    ]);
  });
  afterAll(async () => {
    await Promise.all([gate?.stop(), reg?.stop()]);
  });

  it('reads the config blob and the tag list while DescribeImages is still unanswered, and BatchGetImage goes first', async () => {
    const redactor = new Redactor();
    const deps = depsOf(redactor);
    const done = enrichEcrImage(target('a', gate.url, reg.url), deps, () => undefined);
    try {
      await until('the config blob GET', () =>
        reg.requests.some((r) => r.path.endsWith(`/blobs/${images[0]!.config.digest}`)),
      );
      expect(reg.requests.some((r) => r.path.endsWith('/tags/list'))).toBe(true);
      // BatchGetImage feeds the blob GET: it is sent before DescribeImages, whose answer nothing waits on.
      expect(gate.seen.map((s) => s.action).filter((a) => a !== 'GetAuthorizationToken')).toEqual([
        'BatchGetImage',
        'DescribeImages',
      ]);
    } finally {
      gate.open('DescribeImages');
    }
    const image = await done;
    expect(image.digest).toBe(images[0]!.digest);
    expect(image.tags).toEqual(['a']);
    expect(image.labels.nonce).toBe(images[0]!.labels.nonce);
    deps.clients.destroy();
  });
});

describe('the tag list cache', () => {
  let reg: FaultProxy;
  beforeAll(async () => {
    reg = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await reg?.stop();
  });

  // The tag list says which signatures and attestations exist: an integration sees only what its own
  // credentials were allowed to list, never another integration's answer for the same repository.
  it('is shared by reports with the same credentials and never across credentials', async () => {
    const deps = depsOf(new Redactor());
    const lists = () => reg.requests.filter((r) => r.path.endsWith('/tags/list')).length;
    await enrichEcrImage(target('a', moto.endpoint, reg.url), deps, () => undefined);
    await enrichEcrImage(target('b', moto.endpoint, reg.url), deps, () => undefined);
    expect(lists()).toBe(1);
    await enrichEcrImage(target('a', moto.endpoint, reg.url, 'AKIAOVERLAPTEST00002'), deps, () => undefined);
    expect(lists()).toBe(2);
    deps.clients.destroy();
  });

  // Same credentials, another registry endpoint (an integration's --registry-endpoint): another server's
  // answer, so its own listing.
  it('is never shared across registry endpoints', async () => {
    const other = await startFaultProxy(registry.url);
    try {
      const deps = depsOf(new Redactor());
      await enrichEcrImage(target('a', moto.endpoint, reg.url), deps, () => undefined);
      await enrichEcrImage(target('a', moto.endpoint, other.url), deps, () => undefined);
      expect(other.requests.filter((r) => r.path.endsWith('/tags/list'))).toHaveLength(1);
      deps.clients.destroy();
    } finally {
      await other.stop();
    }
  });
});

describe('the ECR token of the registry client', () => {
  let gate: GatedProxy;
  beforeAll(async () => {
    gate = await startGatedProxy(moto.endpoint, { hold: ['BatchGetImage'] });
  });
  afterAll(async () => {
    await gate?.stop();
  });

  // The tag list (cached 30 s) usually fetches the token beside BatchGetImage; when the list is cached and
  // the token is not (it expired, or the registry refused it), the config blob GET would otherwise wait for
  // BatchGetImage and then for GetAuthorizationToken: one more round trip on the critical path.
  it('is asked for beside BatchGetImage when the tag list is already cached', async () => {
    const warm = depsOf(new Redactor());
    await enrichEcrImage(target('a', moto.endpoint, registry.url), warm, () => undefined);
    warm.clients.destroy();
    const deps = { ...depsOf(new Redactor()), tagLists: warm.tagLists };
    const done = enrichEcrImage(target('b', gate.url, registry.url), deps, () => undefined);
    done.catch(() => undefined);
    try {
      await until('GetAuthorizationToken while BatchGetImage is unanswered', () =>
        gate.seen.some((s) => s.action === 'GetAuthorizationToken'),
      );
      expect(gate.seen.map((s) => s.action)).toContain('BatchGetImage');
    } finally {
      gate.open('BatchGetImage');
    }
    const image = await done;
    expect(image.labels.nonce).toBe(images[1]!.labels.nonce);
    deps.clients.destroy();
  });
});
