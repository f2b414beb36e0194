import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { startMoto, type MotoPeer } from '../../test/peers/moto.js';
import { REGION } from '../../test/helpers/ecr-seed.js';

/**
 * Identical moto replicas, so that requests sent at the same time are served at the same time, as AWS
 * serves them. One moto is one Python process: its threaded server takes requests concurrently, but the GIL
 * lets one run at a time, so two calls in flight each take about as long as both together (docs/benchmarks.md,
 * "Runtime agent: report → enriched latency"). Replicas agree because moto's identifiers (access keys,
 * secrets, ids) come from one seedable generator (`POST /moto-api/seed`): seeded alike and sent the same
 * setup requests in the same order (a fan-out proxy, `setup`), they hand out the same keys, and PutImage with
 * `imageDigest` stores the same digests. Only read-only traffic may go to the replicas after setup (an
 * AssumeRole session made on one is unknown to the other), which is what the access-key report path sends.
 */
export interface MotoPool {
  /** A MotoPeer whose endpoint fans every request out to all replicas; answers are replica 0's. */
  setup: MotoPeer;
  replicas: MotoPeer[];
  stop(): Promise<void>;
}

const SEED = 20261202;

export async function startMotoPool(size: number): Promise<MotoPool> {
  const replicas = await Promise.all(Array.from({ length: size }, () => startMoto()));
  let fanOut: Awaited<ReturnType<typeof startFanOut>> | undefined;
  try {
    for (const r of replicas) {
      const res = await fetch(`${r.endpoint}/moto-api/seed?a=${SEED}`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto seed: HTTP ${res.status}`);
    }
    fanOut = await startFanOut(replicas.map((r) => r.endpoint));
    const url = fanOut.url;
    const all = (f: (r: MotoPeer) => Promise<void>) => Promise.all(replicas.map(f)).then(() => undefined);
    const setup: MotoPeer = {
      endpoint: url,
      port: Number(new URL(url).port),
      pid: replicas[0]!.pid,
      reset: () => all((r) => r.reset()),
      enableIamAuth: () => all((r) => r.enableIamAuth()),
      disableIamAuth: () => all((r) => r.disableIamAuth()),
      stop: () => all((r) => r.stop()),
    };
    const f = fanOut;
    return {
      setup,
      replicas,
      stop: async () => {
        await f.stop();
        await all((r) => r.stop());
      },
    };
  } catch (err) {
    await fanOut?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    throw err;
  }
}

/** Checks, with IAM enforced, that every replica accepts `credentials` and has the same digest for `tag`. */
export async function verifyReplicas(
  replicas: MotoPeer[],
  credentials: { accessKeyId: string; secretAccessKey: string },
  repositoryName: string,
  tag: string,
): Promise<void> {
  const digests = await Promise.all(
    replicas.map(async (r) => {
      const ecr = new ECRClient({ region: REGION, endpoint: r.endpoint, credentials, maxAttempts: 1 });
      try {
        const out = await ecr.send(
          new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }),
        );
        return out.imageDetails?.[0]?.imageDigest;
      } finally {
        ecr.destroy();
      }
    }),
  );
  if (!digests[0] || digests.some((d) => d !== digests[0]))
    throw new Error(`moto replicas disagree on ${repositoryName}:${tag}: ${digests.join(', ')}`);
}

/** Sends each request to every replica in turn (so each sees the same sequence) and answers with the first's. */
async function startFanOut(targets: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const send = (target: string, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const u = new URL(target);
      const req = request({ hostname: u.hostname, port: u.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const answers = [];
        for (const t of targets)
          answers.push(await send(t, req.method ?? 'GET', req.url ?? '/', req.headers, body));
        const first = answers[0]!;
        res.writeHead(first.status, first.headers);
        res.end(first.body);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  const port = a && typeof a === 'object' ? a.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
