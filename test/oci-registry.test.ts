import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, NotFoundError } from '../src/domain/errors.js';
import {
  createContentCache,
  findReferrers,
  inspectImage,
  isArtifactTag,
  MediaType,
  parseReference,
  RegistryClient,
  type RegistryAuth,
} from '../src/integrations/registry/oci/index.js';
import { Redactor } from '../src/logging/redactor.js';
import {
  startFaultProxy,
  startStaticServer,
  type FaultProxy,
  type StaticServer,
} from './peers/fault-proxy.js';
import {
  pushArtifact,
  pushCosignTag,
  pushImage,
  pushIndex,
  sha256,
  type PushedArtifact,
  type PushedImage,
  type PushedIndex,
  type PushedManifest,
} from './peers/images.js';
import { startRegistry, type RegistryPeer } from './peers/registry.js';

// Against CNCF distribution 2.8 with htpasswd Basic auth (user AWS), the ECR data-plane stand-in.

const run = promisify(execFile);
const REPO = 'team/app';

let registry: RegistryPeer;
let ociImage: PushedImage;
let dockerImage: PushedImage;
let ociIndex: PushedIndex;
let dockerList: PushedIndex;
let artifact: PushedArtifact & { tagSchemaIndex?: PushedManifest };
let signature: PushedManifest;

const ecrToken = () => Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
const basic = (): RegistryAuth => ({
  kind: 'basic',
  username: registry.username,
  password: registry.password,
});
const client = (over: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}) =>
  new RegistryClient({ endpoint: registry.url, auth: basic(), timeoutMs: 5000, ...over });

beforeAll(async () => {
  registry = await startRegistry();
  ociImage = await pushImage(registry, REPO, 'oci', {
    annotations: { 'org.opencontainers.image.revision': 'abc123' },
  });
  dockerImage = await pushImage(registry, REPO, 'docker', { format: 'docker' });
  ociIndex = await pushIndex(registry, REPO, 'multi', { attestation: true });
  dockerList = await pushIndex(registry, REPO, 'list', { format: 'docker' });
  artifact = await pushArtifact(registry, REPO, ociImage);
  signature = await pushCosignTag(registry, REPO, ociImage.digest, 'sig');
});

afterAll(async () => {
  await registry?.stop();
});

describe('manifests round-trip with the digest of their exact bytes', () => {
  it.each([
    ['OCI image manifest', () => ociImage, MediaType.OciManifest],
    ['Docker v2 schema 2 manifest', () => dockerImage, MediaType.DockerManifest],
    ['OCI image index', () => ociIndex, MediaType.OciIndex],
    ['Docker manifest list', () => dockerList, MediaType.DockerManifestList],
    ['OCI artifact manifest (by digest)', () => artifact, MediaType.OciManifest],
    ['tag-schema referrers index', () => artifact.tagSchemaIndex!, MediaType.OciIndex],
  ])('%s', async (_name, pushed, mediaType) => {
    const p = pushed();
    const c = client();
    const got = await c.getManifest(REPO, p.reference);
    expect(got.digest).toBe(p.digest);
    expect(got.mediaType).toBe(mediaType);
    expect(Buffer.from(got.bytes).equals(Buffer.from(p.bytes))).toBe(true);
    expect(got.size).toBe(p.bytes.length);
    // The registry's own Docker-Content-Digest (getManifest also checks it against the bytes).
    const raw = await fetch(`${registry.url}/v2/${REPO}/manifests/${p.reference}`, {
      headers: { authorization: `Basic ${ecrToken()}`, accept: mediaType },
    });
    expect(raw.headers.get('docker-content-digest')).toBe(got.digest);
    expect(await c.headManifest(REPO, p.reference)).toEqual({ digest: p.digest, mediaType, size: p.size });
    const byDigest = await c.getManifest(REPO, p.digest);
    expect(byDigest.digest).toBe(p.digest);
  });

  it('reads blobs, verifying their digest', async () => {
    const blob = await client().getBlob(REPO, ociImage.config.digest);
    expect(sha256(blob)).toBe(ociImage.config.digest);
  });

  it('agrees with skopeo (an independent client) on digests', async () => {
    const creds = `${registry.username}:${registry.password}`;
    for (const p of [ociImage, dockerImage]) {
      const { stdout } = await run('skopeo', [
        'inspect',
        '--tls-verify=false',
        '--creds',
        creds,
        `docker://127.0.0.1:${registry.port}/${REPO}:${p.reference}`,
      ]);
      const s = JSON.parse(stdout) as { Digest: string };
      expect((await client().getManifest(REPO, p.reference)).digest).toBe(s.Digest);
    }
    for (const p of [ociIndex, dockerList]) {
      const { stdout } = await run(
        'skopeo',
        [
          'inspect',
          '--raw',
          '--tls-verify=false',
          '--creds',
          creds,
          `docker://127.0.0.1:${registry.port}/${REPO}:${p.reference}`,
        ],
        { encoding: 'buffer' },
      );
      expect((await client().getManifest(REPO, p.reference)).digest).toBe(sha256(stdout));
    }
  });

  it('lists tags, without artifact tags counted as images by the caller', async () => {
    const tags = await client().listTags(REPO);
    expect(tags).toEqual(
      expect.arrayContaining(['oci', 'docker', 'multi', 'list', `${ociImage.digest.replace(':', '-')}.sig`]),
    );
    expect(tags.filter((t) => !isArtifactTag(t)).sort()).toEqual(['docker', 'list', 'multi', 'oci']);
  });
});

describe('errors', () => {
  it('an unknown tag is a NotFoundError naming repository and tag', async () => {
    const err = await client()
      .getManifest(REPO, 'nope')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/team\/app:nope/);
    expect((err as Error).message).toMatch(/MANIFEST_UNKNOWN/);
    const err2 = await client()
      .getManifest('team/absent', 'v1')
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(NotFoundError);
    expect((err2 as Error).message).toMatch(/team\/absent:v1/);
  });

  it('wrong static credentials are an AuthenticationError, without the password in the message', async () => {
    const redactor = new Redactor();
    const c = client({ auth: { kind: 'basic', username: 'AWS', password: 'definitely-wrong' }, redactor });
    const err = await c.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).not.toContain('definitely-wrong');
    expect(c.stats.requests).toBe(1);
  });
});

describe('ECR-style token auth', () => {
  it('a 401 with a stale token refreshes it once and retries once', async () => {
    const calls: boolean[] = [];
    let fresh = false;
    const redactor = new Redactor();
    const c = client({
      redactor,
      auth: {
        kind: 'ecr',
        getToken(refresh) {
          calls.push(refresh);
          if (refresh) fresh = true;
          return Promise.resolve(
            fresh ? ecrToken() : Buffer.from('AWS:stale-token-value').toString('base64'),
          );
        },
      },
    });
    const got = await c.getManifest(REPO, 'oci');
    expect(got.digest).toBe(ociImage.digest);
    expect(calls).toEqual([false, true]);
    expect(c.stats.byKind.manifest).toBe(2);
    expect(redactor.redact(`x ${registry.password} y`)).toBe('x [REDACTED] y');
  });

  it('a token that stays wrong after the refresh fails with AuthenticationError after exactly one retry', async () => {
    let n = 0;
    const c = client({
      auth: {
        kind: 'ecr',
        getToken: () => {
          n++;
          return Promise.resolve(Buffer.from('AWS:wrong-wrong').toString('base64'));
        },
      },
    });
    await expect(c.getManifest(REPO, 'oci')).rejects.toBeInstanceOf(AuthenticationError);
    expect(n).toBe(2);
    expect(c.stats.byKind.manifest).toBe(2);
  });
});

describe('redirects', () => {
  let proxy: FaultProxy;
  let s3: StaticServer;
  beforeAll(async () => {
    proxy = await startFaultProxy(registry.url);
    s3 = await startStaticServer();
  });
  afterAll(async () => {
    await Promise.all([proxy?.stop(), s3?.stop()]);
  });

  it('follows a cross-host redirect without the Authorization header (ECR → pre-signed S3)', async () => {
    s3.serve('/bucket/manifest', ociImage.bytes, MediaType.OciManifest);
    s3.serve('/bucket/config', ociImage.config.bytes, 'application/octet-stream');
    proxy.inject(
      [{ kind: 'redirect', location: `${s3.url}/bucket/manifest?X-Amz-Signature=abc` }],
      (m, p) => m === 'GET' && p.includes('/manifests/'),
    );
    proxy.inject(
      [{ kind: 'redirect', location: `${s3.url}/bucket/config?X-Amz-Signature=abc` }],
      (m, p) => m === 'GET' && p.includes('/blobs/'),
    );
    const c = new RegistryClient({ endpoint: proxy.url, auth: basic(), timeoutMs: 5000 });
    const got = await c.getManifest(REPO, 'oci');
    expect(got.digest).toBe(ociImage.digest);
    expect(sha256(await c.getBlob(REPO, ociImage.config.digest))).toBe(ociImage.config.digest);
    expect(s3.requests).toHaveLength(2);
    expect(s3.requests.every((r) => r.authorization === undefined)).toBe(true);
    expect(proxy.requests.slice(-2).every((r) => r.authorization?.startsWith('Basic '))).toBe(true);
  });

  it('keeps the Authorization header on a same-host redirect', async () => {
    proxy.inject(
      [{ kind: 'redirect', location: `/v2/${REPO}/manifests/${ociImage.digest}` }],
      (m, p) => m === 'GET' && p.endsWith('/manifests/oci'),
    );
    const before = proxy.requests.length;
    const c = new RegistryClient({ endpoint: proxy.url, auth: basic(), timeoutMs: 5000 });
    expect((await c.getManifest(REPO, 'oci')).digest).toBe(ociImage.digest);
    const seen = proxy.requests.slice(before);
    expect(seen.map((r) => [r.fault, !!r.authorization])).toEqual([
      ['redirect', true],
      [undefined, true],
    ]);
  });
});

describe('inspectImage', () => {
  it('a single-platform image: config facts, layers, sizes, annotations', async () => {
    const facts = await inspectImage(client(), parseReference(`127.0.0.1:${registry.port}/${REPO}:oci`), {
      referrers: false,
    });
    expect(facts.digest).toBe(ociImage.digest);
    expect(facts.config).toEqual({
      digest: ociImage.config.digest,
      created: ociImage.created,
      labels: ociImage.labels,
      os: 'linux',
      architecture: 'amd64',
      historyCount: ociImage.historyCount,
    });
    expect(facts.layers).toEqual(ociImage.layers);
    expect(facts.size).toBe(
      ociImage.size + ociImage.config.size + ociImage.layers.reduce((n, l) => n + l.size, 0),
    );
    expect(facts.platforms).toEqual([
      {
        os: 'linux',
        architecture: 'amd64',
        digest: ociImage.digest,
        mediaType: MediaType.OciManifest,
        size: facts.size,
        layers: ociImage.layers,
      },
    ]);
    expect(facts.annotations).toEqual({ 'org.opencontainers.image.revision': 'abc123' });
  });

  it.each([
    ['OCI index', () => ociIndex],
    ['Docker manifest list', () => dockerList],
  ])('%s: exactly its platforms, attestations recorded apart', async (_n, pushed) => {
    const p = pushed();
    const facts = await inspectImage(
      client(),
      parseReference(`127.0.0.1:${registry.port}/${REPO}:${p.reference}`),
      {
        platformConfigs: true,
        referrers: { cosign: 'off' },
      },
    );
    expect(facts.digest).toBe(p.digest);
    expect(facts.platforms.map((x) => [x.os, x.architecture, x.variant, x.digest])).toEqual([
      ['linux', 'amd64', undefined, p.children[0]?.digest],
      ['linux', 'arm64', 'v8', p.children[1]?.digest],
    ]);
    for (const [i, child] of p.children.entries()) {
      const plat = facts.platforms[i]!;
      expect(plat.size).toBe(child.size + child.config.size + child.layers.reduce((n, l) => n + l.size, 0));
      expect(plat.config?.labels).toEqual(child.labels);
      expect(plat.config?.architecture).toBe(child.platform.architecture);
    }
    expect(facts.size).toBe(p.size + facts.platforms.reduce((n, x) => n + x.size, 0));
    if (p.attestation) {
      expect(facts.referrers).toEqual([
        expect.objectContaining({
          kind: 'attestation',
          source: 'index-attestation',
          digest: p.attestation.digest,
          subject: p.children[0]?.digest,
        }),
      ]);
    } else {
      expect(facts.referrers).toEqual([]);
    }
  });

  it('finds referrers through the tag schema and cosign tags', async () => {
    const c = client();
    const refs = await findReferrers(c, REPO, ociImage.digest);
    expect(refs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'sbom',
          source: 'tag-schema',
          digest: artifact.digest,
          artifactType: 'application/spdx+json',
          subject: ociImage.digest,
        }),
        expect.objectContaining({
          kind: 'signature',
          source: 'cosign-tag',
          digest: signature.digest,
          mediaType: MediaType.OciManifest,
          tag: signature.reference,
        }),
      ]),
    );
    expect(refs).toHaveLength(2);
    expect(c.stats.byKind.referrers).toBe(1); // distribution 2.8 has no referrers API: one probe, then fallback
    const listed = await findReferrers(c, REPO, ociImage.digest, { cosign: 'list' });
    expect(listed).toHaveLength(2);
    expect(await findReferrers(c, REPO, dockerImage.digest)).toEqual([]);
    // In list mode the tag list says there is no tag-schema index for this image: no GET for one.
    const manifestGets = c.stats.byKind.manifest ?? 0;
    expect(await findReferrers(c, REPO, dockerImage.digest, { cosign: 'list' })).toEqual([]);
    expect(c.stats.byKind.manifest ?? 0).toBe(manifestGets);
  });

  it('an artifact reports its subject and artifactType', async () => {
    const facts = await inspectImage(
      client(),
      { registry: 'r', repository: REPO, digest: artifact.digest },
      { referrers: false },
    );
    expect(facts.subject).toBe(ociImage.digest);
    expect(facts.artifactType).toBe('application/spdx+json');
    expect(facts.config).toBeUndefined();
  });

  it('the content cache saves refetching manifests and configs by digest', async () => {
    const cache = createContentCache();
    const c = client();
    const ref = parseReference(`127.0.0.1:${registry.port}/${REPO}:multi`);
    const first = await inspectImage(c, ref, { cache, platformConfigs: true, referrers: false });
    const callsFirst = c.stats.requests;
    expect(callsFirst).toBe(1 + 2 + 2); // index, 2 children, 2 configs
    const second = await inspectImage(c, ref, { cache, platformConfigs: true, referrers: false });
    expect(second).toEqual(first);
    expect(c.stats.requests - callsFirst).toBe(1); // only the tag is resolved again
    // Another client (other credentials) never gets answers from this client's cache entries.
    const other = client();
    await inspectImage(other, ref, { cache, platformConfigs: true, referrers: false });
    expect(other.stats.requests).toBe(5);
  });
});

describe('open registry', () => {
  it('works without credentials against an auth-less distribution', async () => {
    const open = await startRegistry({ auth: false });
    try {
      const pushed = await pushImage({ url: open.url }, 'x', 'v1');
      const c = new RegistryClient({ endpoint: open.url, auth: { kind: 'none' } });
      expect(await c.ping()).toEqual({ apiVersion: 'registry/2.0' });
      expect((await c.getManifest('x', 'v1')).digest).toBe(pushed.digest);
    } finally {
      await open.stop();
    }
  });
});
