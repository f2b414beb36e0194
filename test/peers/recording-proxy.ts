import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The SigV4 access key id from `Authorization: AWS4-HMAC-SHA256 Credential=<id>/…`, if any. */
  accessKeyId?: string;
  /** `X-Amz-Target` (JSON protocols: ECR) or the form's `Action` (query protocols: STS). */
  action?: string;
  authorization?: string;
  body: string;
  /** What the target answered (filled in as the answer streams back). */
  response?: string;
}

export interface RecordingProxy {
  url: string;
  requests: RecordedRequest[];
  /** Requests matching `match` wait (unanswered) until `release()`; `held` counts those waiting. */
  hold(match: (r: RecordedRequest) => boolean): void;
  release(): void;
  readonly held: number;
  stop(): Promise<void>;
}

/**
 * A loopback HTTP proxy that forwards every request to `target` unchanged and records what it saw: who
 * signed each AWS call, which action it was, and the body. Used to prove which key signed which call and
 * what an agent sends, without trusting the code under test to say so.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  let holdMatch: ((r: RecordedRequest) => boolean) | undefined;
  let waiting: Array<() => void> = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const text = body.toString('utf8');
      const auth = req.headers['authorization'];
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        body: text.slice(0, 1_000_000),
        ...(typeof auth === 'string' ? { authorization: auth } : {}),
      };
      const key = typeof auth === 'string' ? /Credential=([A-Z0-9]+)\//.exec(auth)?.[1] : undefined;
      if (key) rec.accessKeyId = key;
      const amzTarget = req.headers['x-amz-target'];
      const action =
        typeof amzTarget === 'string' ? amzTarget : (new URLSearchParams(text).get('Action') ?? undefined);
      if (action) rec.action = action;
      requests.push(rec);
      if (holdMatch?.(rec)) await new Promise<void>((r) => waiting.push(r));
      const url = new URL(rec.path, target);
      const up = request(
        url,
        // Headers as sent, Host included: it is part of what SigV4 signed.
        { method: rec.method, headers: req.headers },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          const answer: Buffer[] = [];
          upRes.on('data', (c: Buffer) => answer.push(c));
          upRes.on('end', () => (rec.response = Buffer.concat(answer).toString('utf8').slice(0, 1_000_000)));
          upRes.pipe(res);
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      up.end(body);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  const release = (): void => {
    holdMatch = undefined;
    const w = waiting;
    waiting = [];
    for (const go of w) go();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hold(match) {
      holdMatch = match;
    },
    release,
    get held() {
      return waiting.length;
    },
    async stop() {
      release();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
