import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent } from '../test/helpers/agent.js';
import { baseEnv, cli, startImagetrail } from '../test/helpers/imagetrail.js';
import { startRecordingProxy } from '../test/peers/recording-proxy.js';
import { rssOf } from './lib/proc.js';
import { mb, median, ms, ratio, table, verdict } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const RSS_BUDGET = 80 * 1024 * 1024;

async function idleRss(pid: number): Promise<number> {
  await sleep(1000);
  const rss: number[] = [];
  for (let i = 0; i < 5; i++) {
    rss.push((await rssOf(pid)).rss);
    await sleep(500);
  }
  return median(rss);
}

/** Time from spawn to the process's first request at `proxy` matching `path`. */
async function untilFirst(
  start: () => { proc: { pid?: number } },
  proxy: { requests: Array<{ path: string }> },
  path: string,
): Promise<{ ms: number; pid: number }> {
  const before = proxy.requests.length;
  const t0 = performance.now();
  const h = start();
  while (!proxy.requests.slice(before).some((r) => r.path.startsWith(path))) await sleep(2);
  return { ms: performance.now() - t0, pid: h.proc.pid! };
}

/**
 * Runtime agent (issue 11): idle RSS of `imagetrail agent` next to a bare Node process, and the time from
 * starting an already registered agent to its first claim, next to `node -e 0` measured the same way.
 */
export const agentBench: Benchmark = {
  name: 'agent',
  title: 'Runtime agent: idle memory and start to first claim',
  async run(ctx) {
    const runs = ctx.quick ? 3 : 7;
    const tmp = await mkdtemp(join(tmpdir(), 'imagetrail-bench-agent-'));
    const server = await startImagetrail({ startTimeoutMs: 120_000 });
    const proxy = await startRecordingProxy(server.url);
    try {
      const added = await cli(server, [
        'runtime',
        'add',
        'bench',
        '--type',
        'hybrid',
        '--version',
        '0.2.0',
        '--json',
      ]);
      if (added.code !== 0) throw new Error(added.stderr);
      const tokenFile = join(tmp, 'token');
      await writeFile(tokenFile, JSON.parse(added.stdout).registration.registrationToken, { mode: 0o600 });
      const dataDir = join(tmp, 'data');
      ctx.log('agent: registering');
      const first = startAgent({ server: proxy.url, runtime: 'bench', dataDir, tokenFile });
      while (!proxy.requests.some((r) => r.path === '/api/v1/agent/claim')) await sleep(20);
      const agentRss = await idleRss(first.proc.pid!);
      await first.stop();

      const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], {
        env: baseEnv(),
        stdio: 'ignore',
      });
      const bareRss = await idleRss(bare.pid!);
      bare.kill('SIGTERM');

      ctx.log('agent: start to first claim');
      const starts: number[] = [];
      const refs: number[] = [];
      for (let i = 0; i < runs; i++) {
        const a = await untilFirst(
          () => startAgent({ server: proxy.url, runtime: 'bench', dataDir }),
          proxy,
          '/api/v1/agent/claim',
        );
        starts.push(a.ms);
        process.kill(a.pid, 'SIGTERM');
        await sleep(300);
        // Reference: a bare node process that makes one HTTP request to the same proxy.
        const r = await untilFirst(
          () => ({
            proc: spawn(
              process.execPath,
              ['-e', `fetch(${JSON.stringify(proxy.url + '/healthz-ref')}).catch(()=>{})`],
              { env: baseEnv(), stdio: 'ignore' },
            ),
          }),
          proxy,
          '/healthz-ref',
        );
        refs.push(r.ms);
      }
      const markdown = [
        table(
          ['measure', 'imagetrail agent', 'reference (same run)', 'ratio', 'budget'],
          [
            [
              'idle RSS (median of 5)',
              mb(agentRss),
              `bare node: ${mb(bareRss)}`,
              ratio(agentRss, bareRss),
              `≤ 80 MB: ${verdict(agentRss <= RSS_BUDGET)}`,
            ],
            [
              `start → first claim (median of ${runs})`,
              ms(median(starts)),
              `node -e fetch(): ${ms(median(refs))}`,
              ratio(median(starts), median(refs)),
              '—',
            ],
          ],
        ),
        '',
        'The agent was registered (one Git commit) before the timed starts; each start reads its key and credential, calls',
        "GetCallerIdentity (no AWS identity here: it fails fast and is reported as none) and claims (a worker's first claim",
        'is answered at once, since 2026-12-03, so its /readyz is known at start; then it long-polls).',
        "Where an idle agent's memory went (2026-12-02): the global fetch is Node's bundled undici, about 15–25 MB resident",
        'once used (an ESM import of node:http loads it too, through its lazy WebSocket getters); the AWS STS client for',
        'GetCallerIdentity brought undici and http2 as well. The agent now talks to the control plane over node:http loaded',
        'with require, and runs GetCallerIdentity in a short-lived child process (a worker thread was tried: its memory is not',
        'given back to the system, RSS went up); the enrichment pipeline and the ECR SDK load at the first job. Left: zod and',
        'the contract schemas, pino, age and yaml, the config kinds. A local measurement against a stand-in control plane:',
        '90 MB before, 72 MB after. The start includes one more Node start (the identity child), overlapping the key loading.',
        '',
        "The machine (2 cores) is shared with about six other engineers' builds and tests: absolute times swing by 2–3× between",
        'runs; read the ratios to the same-run references.',
      ].join('\n');
      return { markdown, data: { agentRss, bareRss, starts, refs } };
    } finally {
      await proxy.stop();
      await server.stop();
      await rm(tmp, { recursive: true, force: true });
    }
  },
};
