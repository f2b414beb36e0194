import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL, type ReportJob } from '../contract/agent-protocol.js';
import type { PipelineResult } from '../contract/images.js';
import { createLogger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { runReportJob, type ReportJobDeps } from './report-job.js';
import { AgentTransport } from './transport.js';

// ADR 0040: the completion's request starts with the job and its body goes when the result is ready;
// when that early request cannot be used, the result goes as a request of its own, once.

const job: ReportJob = {
  kind: 'report',
  id: 'r-1',
  leaseId: 'eks-a:agent-1:1',
  attempt: 1,
  leaseUntil: new Date(Date.now() + 60_000).toISOString(),
  leaseMs: 60_000,
  runtime: 'eks-a',
  createdAt: new Date().toISOString(),
  input: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1' },
};

const result = {
  image: { digest: `sha256:${'a'.repeat(64)}` },
  build: { runtime: 'eks-a', reportId: 'r-1', reportedAt: job.createdAt },
} as unknown as PipelineResult;

interface Seen {
  started: number;
  /** How each request came: `early` (chunked, headers first) or `whole` (with its length). */
  kinds: string[];
  bodies: string[];
  cut: number;
}

/** The control plane's completion route: `refuseFirst` answers the first request before reading its body. */
async function controlPlane(opts: { refuseFirst?: boolean } = {}) {
  const seen: Seen = { started: 0, kinds: [], bodies: [], cut: 0 };
  const server = createServer((req: IncomingMessage, res) => {
    if (req.url !== '/api/v1/agent/jobs/r-1/complete') return void res.writeHead(404).end('{}');
    seen.started++;
    seen.kinds.push(req.headers['transfer-encoding'] === 'chunked' ? 'early' : 'whole');
    if (opts.refuseFirst && seen.started === 1) {
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
      return void res.end(JSON.stringify({ error: { message: 'restarting' } }));
    }
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('close', () => {
      if (!req.complete) seen.cut++;
    });
    req.on('end', () => {
      seen.bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          protocol: AGENT_PROTOCOL,
          status: 'recorded',
          report: { id: 'r-1', status: 'succeeded' },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

function deps(url: string, run: ReportJobDeps['pipeline']['run'], earlyCompletionMs?: number): ReportJobDeps {
  const redactor = new Redactor();
  return {
    transport: new AgentTransport(url, 'runtime-credential'),
    pipeline: { run },
    redactor,
    logger: createLogger(redactor, { level: 'silent' }),
    undelivered: new Set(),
    ...(earlyCompletionMs !== undefined ? { earlyCompletionMs } : {}),
  };
}

const until = async (ok: () => boolean) => {
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
};

describe('a report job delivers its result', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('on the completion request it opened while the job ran', async () => {
    const cp = await controlPlane();
    server = cp.server;
    await runReportJob(
      deps(cp.url, async () => {
        // The request is at the control plane while the pipeline still works.
        await until(() => cp.seen.started === 1);
        expect(cp.seen.bodies).toHaveLength(0);
        return result;
      }),
      job,
    );
    expect(cp.seen.kinds).toEqual(['early']);
    expect(cp.seen.bodies).toHaveLength(1);
    expect(JSON.parse(cp.seen.bodies[0]!)).toMatchObject({
      leaseId: job.leaseId,
      attempt: 1,
      outcome: { ok: true, result: { image: { digest: result.image.digest } } },
    });
  });

  it('on a request of its own when the job was done before the early request was opened', async () => {
    const cp = await controlPlane();
    server = cp.server;
    await runReportJob(
      deps(cp.url, () => Promise.resolve(result)),
      job,
    );
    expect(cp.seen).toMatchObject({ kinds: ['whole'], cut: 0 });
    expect(cp.seen.bodies).toHaveLength(1);
  });

  it('once, as a new request, when the control plane answered the early one before its body', async () => {
    const cp = await controlPlane({ refuseFirst: true });
    server = cp.server;
    await runReportJob(
      deps(cp.url, async () => {
        await until(() => cp.seen.started === 1);
        await new Promise((r) => setTimeout(r, 20));
        return result;
      }),
      job,
    );
    expect(cp.seen.kinds).toEqual(['early', 'whole']);
    expect(cp.seen.bodies).toHaveLength(1);
  });

  it('once, as a new request, when the job outlasted the early request', async () => {
    const cp = await controlPlane();
    server = cp.server;
    await runReportJob(
      deps(
        cp.url,
        async () => {
          await until(() => cp.seen.cut === 1);
          return result;
        },
        50,
      ),
      job,
    );
    expect(cp.seen).toMatchObject({ kinds: ['early', 'whole'], cut: 1 });
    expect(cp.seen.bodies).toHaveLength(1);
  });
});
