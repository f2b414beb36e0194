import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { ACCOUNT, REGION } from './ecr-env.js';

const MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export type BareParts = Record<'DescribeImages' | 'BatchGetImage' | 'blob GET', number[]>;

/**
 * The latency benchmarks' reference: a bare SDK client doing what a report needs, sequentially —
 * DescribeImages → BatchGetImage → config blob GET — through the given endpoints. `run(tag)` returns the
 * total ms; each call's own time is added to `parts`.
 */
export async function bareEcrClient(o: {
  ecrUrl: string;
  registryUrl: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  repository: string;
}): Promise<{ run: (tag: string) => Promise<number>; parts: BareParts; close: () => void }> {
  const ecr = new ECRClient({ region: REGION, endpoint: o.ecrUrl, credentials: o.credentials });
  const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0]
    ?.authorizationToken;
  if (!token) throw new Error('no ECR token from moto');
  const parts: BareParts = { DescribeImages: [], BatchGetImage: [], 'blob GET': [] };
  const ids = { registryId: ACCOUNT, repositoryName: o.repository };
  const run = async (tag: string): Promise<number> => {
    const t0 = performance.now();
    const imageIds = [{ imageTag: tag }];
    await ecr.send(new DescribeImagesCommand({ ...ids, imageIds }));
    const t1 = performance.now();
    const got = await ecr.send(
      new BatchGetImageCommand({ ...ids, imageIds, acceptedMediaTypes: MEDIA_TYPES }),
    );
    const manifest = JSON.parse(got.images?.[0]?.imageManifest ?? '{}') as { config?: { digest: string } };
    const t2 = performance.now();
    const res = await fetch(`${o.registryUrl}/v2/${o.repository}/blobs/${manifest.config?.digest}`, {
      headers: { authorization: `Basic ${token}` },
    });
    if (!res.ok) throw new Error(`bare blob GET: ${res.status}`);
    JSON.parse(await res.text());
    const t3 = performance.now();
    parts.DescribeImages.push(t1 - t0);
    parts.BatchGetImage.push(t2 - t1);
    parts['blob GET'].push(t3 - t2);
    return t3 - t0;
  };
  return { run, parts, close: () => ecr.destroy() };
}
