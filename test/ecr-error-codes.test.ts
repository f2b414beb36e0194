import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../src/domain/errors.js';
import { EcrClientCache } from '../src/integrations/registry/ecr/clients.js';
import { CLASS_RETRY, IMAGE_FAILURE_CODES } from '../src/integrations/registry/ecr/codes/index.js';
import { classifyAwsError } from '../src/integrations/registry/ecr/errors.js';
import { EcrApiError, EcrImageLookup, type ImageRequest } from '../src/integrations/registry/ecr/images.js';
import { Redactor } from '../src/logging/redactor.js';
import { startMoto, type MotoPeer } from './peers/moto.js';
import { ACCOUNT, REGION } from './helpers/ecr-seed.js';

// How ECR error codes reach a report: against moto where moto produces the code, and otherwise against a
// loopback stand-in answering ECR's documented JSON (API_BatchGetImage: `failures[] {imageId, failureCode,
// failureReason}` next to `images[]`; errors as `{"__type": …, "message": …}` with HTTP 400).

const REPO = 'codes/app';
const creds = {
  key: 'codes',
  provider: () => Promise.resolve({ accessKeyId: 'AKIATESTCODES000000', secretAccessKey: 'x' }),
};
const req = (endpoint: string, over: Partial<ImageRequest> = {}): ImageRequest => ({
  credentials: creds,
  region: REGION,
  endpoint,
  registryId: ACCOUNT,
  repository: REPO,
  id: { imageTag: 'v1' },
  maxAttempts: 1,
  ...over,
});

describe('ECR error codes moto produces', () => {
  let moto: MotoPeer;
  let clients: EcrClientCache;
  let digest: string;

  beforeAll(async () => {
    moto = await startMoto();
    // Generous timeout: moto on a loaded machine can be slow; this test is about codes, not latency.
    clients = new EcrClientCache({ redactor: new Redactor(), maxAttempts: 1, requestTimeoutMs: 60_000 });
    const ecr = clients.ecr({ credentials: creds, region: REGION, endpoint: moto.endpoint });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: REPO }));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${'0'.repeat(64)}`,
        size: 2,
      },
      layers: [],
    });
    digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    await ecr.send(
      new PutImageCommand({
        repositoryName: REPO,
        imageManifest: manifest,
        imageTag: 'v1',
        imageDigest: digest,
      }),
    );
  }, 60_000);

  afterAll(async () => {
    clients?.destroy();
    await moto?.stop();
  });

  it('BatchGetImage failure ImageNotFound and DescribeImages ImageNotFoundException: final "no image"', async () => {
    const lookup = new EcrImageLookup(clients);
    const r = req(moto.endpoint, { id: { imageTag: 'absent' } });
    for (const p of [lookup.getManifest(r), lookup.describe(r)]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(String(err)).toMatch(/ECR has no image codes\/app:absent/);
    }
  });

  it('RepositoryNotFoundException: final "no repository"', async () => {
    const err = await new EcrImageLookup(clients)
      .describe(req(moto.endpoint, { repository: 'codes/absent' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(String(err)).toMatch(/no repository codes\/absent/);
  });

  it('ScanNotFoundException (an image never scanned): not-found, final', async () => {
    const ecr = clients.ecr({ credentials: creds, region: REGION, endpoint: moto.endpoint });
    const err = await ecr
      .send(new DescribeImageScanFindingsCommand({ repositoryName: REPO, imageId: { imageDigest: digest } }))
      .catch((e: unknown) => e);
    const c = classifyAwsError(err, { redactor: new Redactor(), action: 'ecr:DescribeImageScanFindings' });
    expect(c.errorClass).toBe('not-found');
    expect(c.message).toMatch(/ECR has no scan of the image/);
    expect(CLASS_RETRY[c.errorClass]).toBe('final');
  });
});

// moto answers BatchGetImage failures only with ImageNotFound (and, for digest lookups, names the id
// `imageTag: "null"`), and never UnableToGetUpstreamImageException: the rest comes from the stand-in.
describe('BatchGetImage failure codes (stand-in)', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    server = createServer((rq, rs) => {
      rq.resume();
      rq.on('end', () => {
        rs.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        rs.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const codes = Object.entries(IMAGE_FAILURE_CODES).filter(([code]) => code !== 'ImageNotFound');
  it.each(codes)('%s → %s, retried only if transient', async (code, entry) => {
    answer = {
      status: 200,
      body: {
        images: [],
        failures: [{ imageId: { imageTag: 'v1' }, failureCode: code, failureReason: `reason of ${code}` }],
      },
    };
    const lookup = new EcrImageLookup(new EcrClientCache({ redactor: new Redactor() }));
    const err = await lookup.getManifest(req(url)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcrApiError);
    expect(err).not.toBeInstanceOf(NotFoundError);
    expect((err as EcrApiError).errorClass).toBe(entry.errorClass);
    expect((err as EcrApiError).kind).toBe(
      CLASS_RETRY[entry.errorClass] === 'transient' ? 'unavailable' : 'check-failed',
    );
    expect((err as EcrApiError).message).toContain(`BatchGetImage ${code}: reason of ${code}`);
    expect((err as EcrApiError).hints).toEqual(entry.hints);
  });

  it('UpstreamTooManyRequests and UpstreamUnavailable are retried; KmsError is not', () => {
    expect(CLASS_RETRY[IMAGE_FAILURE_CODES['UpstreamTooManyRequests']!.errorClass]).toBe('transient');
    expect(CLASS_RETRY[IMAGE_FAILURE_CODES['UpstreamUnavailable']!.errorClass]).toBe('transient');
    expect(CLASS_RETRY[IMAGE_FAILURE_CODES['KmsError']!.errorClass]).toBe('final');
  });

  it('UnableToGetUpstreamImageException (pull-through cache) is retried, with pull-through advice', async () => {
    answer = {
      status: 400,
      body: { __type: 'UnableToGetUpstreamImageException', message: 'upstream registry timed out' },
    };
    const lookup = new EcrImageLookup(new EcrClientCache({ redactor: new Redactor(), maxAttempts: 1 }));
    const err = (await lookup.getManifest(req(url)).catch((e: unknown) => e)) as EcrApiError;
    expect(err.errorClass).toBe('upstream-unavailable');
    expect(err.kind).toBe('unavailable');
    expect(err.hints.join(' ')).toMatch(/pull-through cache rule/);
  });
});
