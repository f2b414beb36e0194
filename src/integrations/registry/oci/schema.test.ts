import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestFormatError } from './errors.js';
import { MediaType, parseImageConfig, parseManifest } from './schema.js';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const d = (c: string) => ({ mediaType: MediaType.OciManifest, digest: `sha256:${c.repeat(64)}`, size: 10 });

describe('parseManifest', () => {
  it('tells an OCI manifest without mediaType by its fields', () => {
    const m = parseManifest(enc({ schemaVersion: 2, config: d('a'), layers: [d('b')], extra: 1 }));
    expect(m.mediaType).toBe(MediaType.OciManifest);
  });

  it('tells an OCI index without mediaType by its fields, keeping platforms and annotations', () => {
    const m = parseManifest(
      enc({
        schemaVersion: 2,
        manifests: [{ ...d('a'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }],
        annotations: { 'org.opencontainers.image.source': 'https://x', bad: 3 },
      }),
    );
    expect(m.mediaType).toBe(MediaType.OciIndex);
    if (m.mediaType !== MediaType.OciIndex) throw new Error('unreachable');
    expect(m.manifests[0]?.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(m.annotations).toEqual({ 'org.opencontainers.image.source': 'https://x' });
  });

  it('uses the Content-Type header when the document has no mediaType', () => {
    const m = parseManifest(
      enc({ schemaVersion: 2, manifests: [] }),
      `${MediaType.DockerManifestList}; charset=utf-8`,
    );
    expect(m.mediaType).toBe(MediaType.DockerManifestList);
  });

  it('reads artifact manifests with artifactType and subject', () => {
    const m = parseManifest(
      enc({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: 'application/vnd.example+json',
        config: { ...d('e'), mediaType: MediaType.OciEmpty },
        layers: [],
        subject: d('f'),
      }),
    );
    expect(m.mediaType === MediaType.OciManifest && m.subject?.digest).toBe(`sha256:${'f'.repeat(64)}`);
    const a = parseManifest(
      enc({ mediaType: MediaType.OciArtifactManifest, artifactType: 'x/y', subject: d('f') }),
    );
    expect(a.mediaType === MediaType.OciArtifactManifest && a.blobs).toEqual([]);
  });

  it.each([
    ['not json', /not JSON/],
    [{ schemaVersion: 1, name: 'x', fsLayers: [] }, /schema 1 manifests are not supported/],
    [{ schemaVersion: 2, mediaType: 'text/html' }, /Unsupported manifest media type "text\/html"/],
    [{ schemaVersion: 2, mediaType: MediaType.DockerManifest, config: d('a') }, /layers/],
    [[1, 2], /Invalid manifest/],
  ])('rejects %j with a ManifestFormatError', (input, message) => {
    expect(() => parseManifest(enc(input))).toThrow(ManifestFormatError);
    expect(() => parseManifest(enc(input))).toThrow(message);
  });

  it('never throws anything but ManifestFormatError on arbitrary JSON or bytes', () => {
    const descriptorish = fc.record(
      {
        mediaType: fc.oneof(fc.string(), fc.constantFrom(...Object.values(MediaType))),
        digest: fc.string(),
        size: fc.oneof(fc.integer(), fc.double()),
      },
      { requiredKeys: [] },
    );
    const manifestish = fc.record(
      {
        schemaVersion: fc.oneof(fc.constant(2), fc.jsonValue()),
        mediaType: fc.oneof(fc.constantFrom(...Object.values(MediaType)), fc.jsonValue()),
        config: fc.oneof(descriptorish, fc.jsonValue()),
        layers: fc.oneof(fc.array(descriptorish), fc.jsonValue()),
        manifests: fc.oneof(fc.array(descriptorish), fc.jsonValue()),
        blobs: fc.array(descriptorish),
        annotations: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const input = fc.oneof(
      fc.jsonValue().map((v) => enc(v)),
      manifestish.map((v) => enc(v)),
      fc.uint8Array({ maxLength: 200 }),
    );
    fc.assert(
      fc.property(
        input,
        fc.option(fc.constantFrom(...Object.values(MediaType)), { nil: undefined }),
        (bytes, ct) => {
          for (const parse of [() => parseManifest(bytes, ct), () => parseImageConfig(bytes)]) {
            try {
              parse();
            } catch (err) {
              expect(err).toBeInstanceOf(ManifestFormatError);
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('parseImageConfig', () => {
  it('reads the facts and drops malformed optional ones', () => {
    const c = parseImageConfig(
      enc({
        created: '2024-01-01T00:00:00Z',
        architecture: 'arm64',
        os: 'linux',
        variant: 'v8',
        config: { Labels: { a: 'b', n: 1 }, Env: ['X=1'] },
        history: [{ created_by: 'RUN x' }, { empty_layer: true }],
        rootfs: {},
      }),
    );
    expect(c).toMatchObject({ created: '2024-01-01T00:00:00Z', architecture: 'arm64', variant: 'v8' });
    expect(c.config?.Labels).toEqual({ a: 'b' });
    expect(c.history).toHaveLength(2);
    expect(parseImageConfig(enc({ created: 5, config: null })).created).toBeUndefined();
  });
});
