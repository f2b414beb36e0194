import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAgent, type AgentHandle } from '../test/helpers/agent.js';
import { api, cli } from '../test/helpers/imagetrail.js';
import { HOST, REGION, startPeers, startServerWithEcr, timedReport } from './lib/ecr-env.js';
import { bareEcrClient } from './lib/bare-ecr.js';
import { startCountingProxy, type CountingProxy } from './lib/proxy.js';
import { verifyReplicas } from './lib/moto-pool.js';
import { timelineOf, upstreamTimes, type Timeline } from './lib/timeline.js';
import { median, ms, pairedRatioInterval, ratio, summarize, table, trimmedMean } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const REPO = 'bench/agent';
/** The images of the (a) pairs of one round: each reported by both runtimes, in alternating order. */
const A_TAGS = ['v', 'w', 'x', 'y', 'z', 'u'] as const;
/**
 * The (b) pairs of one round per arrangement, bare client and agent, in alternating order: a p50 of 30
 * read 0.72–0.76× over runs of an unchanged build, its own sampling noise as wide as the margin to the goal.
 */
const B_PAIRS = 3;
/** How often the bench asks whether a report is done (it reads the server's timestamps, not its own clock). */
const POLL_MS = 25;
/**
 * When it first asks: after an (a) report's p95, and after 5 round trips for a (b) report (its p95 is under
 * 4.5). Asked at once, the first GET met the server and the machine's two cores in the hand-over to the
 * agent or the in-process pipeline's first steps, which the bare client never shares.
 */
const FIRST_POLL_A_MS = 40;
const firstPollBMs = (rtt: number) => 5 * rtt;

/**
 * The (b) arrangements: every ECR and registry request delayed by `rtt` ms at a proxy, moto served by
 * `replicas` identical processes (bench/lib/moto-pool.ts) or by one. The headline is 15 ms on two replicas.
 */
const SLOW = [
  { id: 'pool', rtt: 15, replicas: 2 },
  { id: 'single', rtt: 15, replicas: 1 },
  { id: 'pool40', rtt: 40, replicas: 2 },
] as const;
type SlowId = (typeof SLOW)[number]['id'];

type Env = Awaited<ReturnType<typeof startServerWithEcr>>;
type Keys = { accessKeyId: string; secretAccessKey: string };
interface Slow {
  id: SlowId;
  rtt: number;
  replicas: number;
  proxies: [ecr: CountingProxy, sts: CountingProxy, registry: CountingProxy];
}
export interface SlowSeries {
  agent: number[];
  bare: number[];
  timelines: Timeline[];
  bareUpstream: Record<string, number[]>;
}
export interface Series {
  local: number[];
  agent: number[];
  rtt: number[];
  slow: Record<SlowId, SlowSeries>;
}

/**
 * Report → enriched through a runtime agent: (a) next to the in-process runtime on the same images and
 * proxies, interleaved, with the loopback round trip measured in the same run; (b) with a round trip added
 * to every ECR and registry request by delaying proxies, next to a bare sequential SDK client through the
 * same ones, with moto run as two identical processes (AWS serves concurrent requests concurrently; one
 * moto process does not) and, for comparison, as one.
 */
export const agentLatencyBench: Benchmark = {
  name: 'agent-latency',
  title: 'Runtime agent: report → enriched latency',
  async run(ctx) {
    const n = ctx.quick ? 10 : 30;
    const load = [loadavg()[0]!];
    const tmp = await mkdtemp(join(tmpdir(), 'imagetrail-bench-agent-lat-'));
    const peers = await startPeers(
      async (seed) => {
        // Fresh images per (b) arrangement: the agent has not read them, so its config blob is fetched.
        for (const tag of A_TAGS)
          for (let i = 0; i <= n; i++) await seed.image(REPO, `${tag}${i}`, { format: 'oci' });
        for (const a of SLOW)
          for (let i = 0; i <= n * B_PAIRS; i++) await seed.image(REPO, `${a.id}-${i}`, { format: 'oci' });
      },
      { motoReplicas: 2 },
    );
    await verifyReplicas(peers.motoReplicas, peers.scenario.users.ro, REPO, 'v0');
    const env = await startServerWithEcr(peers);
    const slow: Slow[] = await Promise.all(
      SLOW.map(async (a) => {
        const moto = peers.motoReplicas.slice(0, a.replicas).map((m) => m.endpoint);
        const proxies = await Promise.all([
          startCountingProxy(moto, { delayMs: a.rtt }),
          startCountingProxy(moto, { delayMs: a.rtt }),
          startCountingProxy(peers.registry.url, { delayMs: a.rtt }),
        ]);
        return { ...a, proxies };
      }),
    );
    let agent: AgentHandle | undefined;
    try {
      agent = await setUp(env, slow, peers.scenario.users.ro, tmp);
      ctx.log(`agent-latency: ${n} rounds`);
      const series = await measure(env, slow, peers.scenario.users.ro, n);
      load.push(loadavg()[0]!);
      return { markdown: render(series, n, load), data: series };
    } finally {
      await agent?.stop();
      await env.stop();
      await Promise.all(slow.flatMap((a) => a.proxies.map((p) => p.stop())));
      await peers.stop();
      await rm(tmp, { recursive: true, force: true });
    }
  },
};

/** The remote runtime `bench-agent` with its agent, and one integration `ecr-<id>` per (b) arrangement. */
async function setUp(env: Env, slow: Slow[], ro: Keys, tmp: string): Promise<AgentHandle> {
  const added = await cli(env.server, [
    ...['runtime', 'add', 'bench-agent', '--type', 'hybrid', '--version', '0.2.0', '--json'],
  ]);
  if (added.code !== 0) throw new Error(added.stderr);
  const tokenFile = join(tmp, 'token');
  await writeFile(tokenFile, JSON.parse(added.stdout).registration.registrationToken, { mode: 0o600 });
  for (const { id, proxies } of slow) {
    const [ecr, sts, registry] = proxies;
    const add = await cli(
      env.server,
      [
        ...['integration', 'add', 'ecr', `ecr-${id}`, '--region', REGION, '--access-key-id', ro.accessKeyId],
        ...['--secret-access-key-stdin', '--all-runtimes', '--skip-test', '--api-endpoint', ecr.url],
        ...['--sts-endpoint', sts.url, '--registry-endpoint', registry.url],
      ],
      { stdin: ro.secretAccessKey },
    );
    if (add.code !== 0) throw new Error(add.stderr);
  }
  const agent = startAgent({
    server: env.server.url,
    runtime: 'bench-agent',
    dataDir: join(tmp, 'agent'),
    tokenFile,
    env: { IMAGETRAIL_AGENT_WAIT_MS: '20000' },
  });
  for (;;) {
    const v = (await api(env.server, 'GET', '/api/v1/runtimes/bench-agent')).json;
    if (v.agents?.some((a: { connected: boolean }) => a.connected)) return agent;
    await sleep(100);
  }
}

/** Interleaved rounds after one untimed warm-up of each path (clients, sockets, tokens, the agent's pipeline). */
async function measure(env: Env, slow: Slow[], ro: Keys, n: number): Promise<Series> {
  // Polled gently and late: the measure is the server's own createdAt → updatedAt, and a poll takes CPU (and
  // the server's event loop) from the path being measured, which the bare client does not share.
  const report = (tag: string, extra: Record<string, unknown>, firstPollMs = FIRST_POLL_A_MS) =>
    timedReport(env, `${HOST}/${REPO}:${tag}`, extra, POLL_MS, firstPollMs);
  const rtt = async () => {
    const t0 = performance.now();
    await fetch(env.server.url + '/livez').then((r) => r.text());
    return performance.now() - t0;
  };
  const bares = await Promise.all(
    slow.map((a) =>
      bareEcrClient({
        ecrUrl: a.proxies[0].url,
        registryUrl: a.proxies[2].url,
        credentials: ro,
        repository: REPO,
      }),
    ),
  );
  const via = (a: Slow) => ({ runtime: 'bench-agent', registryIntegration: `ecr-${a.id}` });
  await report('v0', { runtime: 'local' });
  await report('v0', { runtime: 'bench-agent' });
  for (const [k, a] of slow.entries()) {
    await report(`${a.id}-0`, via(a), firstPollBMs(a.rtt));
    await bares[k]!.run('v0');
  }
  const s: Series = {
    local: [],
    agent: [],
    rtt: [],
    slow: {} as Series['slow'],
  };
  for (const a of slow) s.slow[a.id] = { agent: [], bare: [], timelines: [], bareUpstream: {} };
  for (let i = 1; i <= n; i++) {
    // Several (a) pairs per round, in both orders, so neither path always runs right after the other (nor
    // always records the image first): a difference of well under a millisecond needs many of them.
    for (const [k, tag] of A_TAGS.entries()) {
      const order = k % 2 === 0 ? (['local', 'bench-agent'] as const) : (['bench-agent', 'local'] as const);
      for (const runtime of order) {
        const r = await report(`${tag}${i}`, { runtime });
        (runtime === 'local' ? s.local : s.agent).push(r.server);
      }
    }
    for (const [k, a] of slow.entries()) {
      const out = s.slow[a.id];
      const bare = async (j: number) => {
        for (const p of a.proxies) p.reset();
        out.bare.push(await bares[k]!.run(`${A_TAGS[j % A_TAGS.length]}${i}`));
        const upstream = upstreamTimes(a.proxies.flatMap((p) => p.requests));
        for (const [action, t] of Object.entries(upstream)) (out.bareUpstream[action] ??= []).push(...t);
      };
      const agent = async (j: number) => {
        for (const p of a.proxies) p.reset();
        const r = await report(`${a.id}-${(i - 1) * B_PAIRS + j + 1}`, via(a), firstPollBMs(a.rtt));
        out.agent.push(r.server);
        out.timelines.push(
          timelineOf(
            r.done,
            a.proxies.flatMap((p) => p.requests),
          ),
        );
      };
      for (let j = 0; j < B_PAIRS; j++) {
        // Which goes first alternates within a round and between rounds (B_PAIRS is odd).
        if ((i + j) % 2 === 0) await bare(j).then(() => agent(j));
        else await agent(j).then(() => bare(j));
      }
    }
    for (let k = 0; k < 3; k++) s.rtt.push(await rtt());
  }
  for (const b of bares) b.close();
  return s;
}

function render(r: Series, n: number, load: number[]): string {
  const local = summarize(r.local);
  const agent = summarize(r.agent);
  const rtt = summarize(r.rtt);
  const extra = agent.p50 - local.p50;
  const paired = r.agent.map((a, i) => a - r.local[i]!);
  return [
    table(
      ['measure', 'n', 'p50', 'p95', 'reference (same run)', 'goal'],
      [
        [
          '(a) in-process runtime `local`, server side (createdAt → updatedAt)',
          local.n,
          ms(local.p50),
          ms(local.p95),
          '—',
          '—',
        ],
        [
          '(a) through an agent, server side',
          agent.n,
          ms(agent.p50),
          ms(agent.p95),
          `in-process p50 + ${ms(extra)}; loopback round trip (GET /livez) p50 ${ms(rtt.p50)}`,
          `≤ in-process + 1 round trip: ${extra <= rtt.p50 ? 'met' : '**missed**'}`,
        ],
        [
          '(a) per round, agent − in-process (same round, interleaved): median / 10 % trimmed mean',
          agent.n,
          `${ms(median(paired))} / ${ms(trimmedMean(paired))}`,
          '—',
          `loopback round trip p50 ${ms(rtt.p50)}`,
          `supplementary (the goal is the p50 row): trimmed mean ≤ 1 round trip: ${trimmedMean(paired) <= rtt.p50 ? 'yes' : 'no'}`,
        ],
      ],
    ),
    '',
    table(
      [
        '(b) added per ECR/registry request; moto',
        'n',
        'through an agent, server side: p50 / p95',
        'bare sequential client: p50 / p95',
        'ratio p50 (goal ≤ 0.75×), with its paired bootstrap interval',
        'agent p50: accepted → 1st request (of it: → job started) / ECR+registry phase / last answer → done',
        'ECR+registry phase / bare',
        'agent fixed costs (outer phases, p50) / allowed for 0.75× (bare p50 / 12)',
        'ms upstream per call (moto, registry), agent / bare (p50): BatchGetImage, DescribeImages, config blob',
        'agent requests / on the critical path (p50)',
      ],
      SLOW.map((a) => slowRow(a, r.slow[a.id])),
    ),
    '',
    ...NOTES,
    `Machine load (1-minute average, 2 cores shared with other engineers' builds and tests): ${load[0]!.toFixed(1)} at`,
    `the start, ${load[1]!.toFixed(1)} at the end; loopback round trips p50 ${ms(rtt.p50)}, p95 ${ms(rtt.p95)}. ${n} rounds.`,
  ].join('\n');
}

function slowRow(a: (typeof SLOW)[number], s: SlowSeries): Array<string | number> {
  const t = s.timelines;
  const agent = summarize(s.agent);
  const bare = summarize(s.bare);
  const remote = median(t.map((x) => x.remote));
  const upstream = (action: string) => {
    const of = (m: Array<Record<string, number[]>>) => median(m.flatMap((x) => x[action] ?? []));
    return `${ms(of(t.map((x) => x.upstream)))} / ${ms(of([s.bareUpstream]))}`;
  };
  const label = `${a.rtt} ms; ${a.replicas === 1 ? 'one process' : `${a.replicas} identical processes`}`;
  const interval = pairedRatioInterval(s.agent, s.bare)
    .map((x) => x.toFixed(2))
    .join('–');
  return [
    a.id === 'pool' ? `**${label}**` : label,
    agent.n,
    `${ms(agent.p50)} / ${ms(agent.p95)}`,
    `${ms(bare.p50)} / ${ms(bare.p95)}`,
    `${ratio(agent.p50, bare.p50)} (95 % interval ${interval}): ${agent.p50 <= 0.75 * bare.p50 ? 'met' : '**missed**'}`,
    `${ms(median(t.map((x) => x.before)))} (${ms(median(t.map((x) => x.claim)))}) / ${ms(remote)} / ${ms(median(t.map((x) => x.after)))}`,
    ratio(remote, bare.p50),
    `${ms(median(t.map((x) => x.before + x.after)))} / ${ms(bare.p50 / 12)}`,
    `${upstream('BatchGetImage')}, ${upstream('DescribeImages')}, ${upstream('blob')}`,
    `${median(t.map((x) => x.calls))} / ${median(t.map((x) => x.depth))}`,
  ];
}

const NOTES = [
  'Interleaved per round: in-process and agent reports of six images, in alternating order, then for each (b) arrangement',
  `${B_PAIRS} pairs of the bare client and an agent report of an image the agent has not read before (so its config blob`,
  "is fetched like the bare client's), in alternating order, then 3 loopback round trips; after one warm-up of each.",
  '(b) bare client: DescribeImages → BatchGetImage → config blob GET,',
  "3 requests, all on its critical path. The agent's critical path is BatchGetImage → config blob GET, with",
  'DescribeImages (and the tag list, cached 30 s, and the ECR token, cached) beside it, plus what the bare client has',
  'no part of: the hand-over to its waiting claim, the pipeline up to its first call, the completion call and the store (the outer',
  'phases; "→ job started" is the pipeline\'s first step, on the agent\'s millisecond clock). The proxies keep',
  "their clients' connections alive as AWS's endpoints do: moto answers `Connection: close`, which a proxy does not",
  'pass on (hop-by-hop, RFC 9110 §7.6.1); passed on, it made every ECR call of both clients open a new connection.',
  '',
  "Every latency here is the server's own createdAt → updatedAt, stored to the millisecond. The bench asks whether a",
  `report is done every ${POLL_MS} ms, first ${FIRST_POLL_A_MS} ms after (a) reports and 5 round trips after (b) ones: its`,
  "asking does not move those timestamps, but it takes CPU and the server's event loop from the path being measured,",
  'which the bare client never shares (a 3 ms poll was used at first; until 2026-12-03 the first GET went out at once,',
  "into the hand-over to the agent or the in-process pipeline's first steps). Whole-millisecond",
  'timestamps make each p50 a whole or half millisecond, too coarse for a goal of one loopback round trip; the',
  'per-round differences are also shown as a trimmed mean, in which the truncation of the two timestamps (each off by',
  'less than 1 ms, independently) averages out.',
  '',
  'Why two moto processes: AWS serves concurrent requests concurrently, its server time inside the round trip. One',
  'moto is one Python process: `moto.server` runs werkzeug with `threaded=True`, so it accepts requests concurrently,',
  'but its handlers are Python under one GIL and run one at a time; DescribeImages and BatchGetImage, sent together,',
  "share its CPU and both finish late (see the ms-upstream column: the agent's calls, two in flight, against the bare",
  "client's lone ones). Two processes seeded identically (bench/lib/moto-pool.ts: same `/moto-api/seed`, the same",
  'setup requests in the same order through a fan-out, so the same access keys and, with PutImage by digest, the same',
  'digests; checked before measuring) behind a proxy that sends each request to the one with fewer in flight can',
  'serve the two at once. The bare client goes through the same proxies and replicas; the one-process row is kept',
  'for comparison. This only helps when the machine has a core to spare: on a loaded 2-core machine the replicas,',
  "the agent, the server and other engineers' work share the same two cores. The ms-upstream column shows what that",
  "costs: the agent's BatchGetImage, with DescribeImages in flight beside it, takes 0.5–1.5 ms longer in moto than the",
  "bare client's lone call (its config blob, alone by then, about as long as the bare client's). On AWS that server",
  "time is on AWS's machines.",
  '',
  'The interval next to each ratio is a percentile bootstrap over the pairs (2,000 resamples, each pair kept whole,',
  "seeded): how far the ratio of one run could move from sampling alone. How the machine's load moves it between",
  'runs it does not cover. Spread over runs (the headline, 15 ms on two processes), with the middleware cache below:',
  'with 30 pairs per run the p50 ratio read 0.72–0.76× in six runs; with 90 (since 2026-12-03) 0.73–0.76× in eight',
  'runs before the statement templates (decision 0041) and 0.73–0.75× in the six since (0.746, 0.746, 0.73, 0.73,',
  '0.74, 0.73), the higher readings when the machine was busy (in-process p50 of the (a) rows 24–26 ms, not 20–23).',
  '',
  'The round trip is not tuned: 15 ms is the headline; 40 ms shows how the ratio moves as the round trip grows',
  "next to the agent's fixed costs. What the ratio means: with R the round trip plus server time of one request, the",
  'bare client takes 3R and the agent 2R (the ECR+registry phase / bare tends to 2/3) plus its fixed costs F, so',
  'the p50 ratio is at most 0.75× only when F ≤ R/4 = bare/12: about 5 ms at 15 ms per request, 11 ms at 40 ms. F is',
  'the hand-over to the waiting claim (decision 0039: the report is written leased to it, no claim statement), the',
  'pipeline up to its first ECR call (building and signing the SDK requests) and the completion on the control plane',
  '(loopback calls and store writes): no ECR or registry request is in it.',
  '',
  'Where F went, traced in runs of this bench with temporary marks (not in the code; p50 of the (a) reports):',
  "with the hand-over (decision 0039), accepted → the agent's pipeline started takes what the in-process",
  "runtime's wake-up and claim take (about 0.85 ms each). The completion was the agent's one extra: 0.9 ms from",
  "the pipeline's end to the control plane's handler holding the result (0.34 ms building and writing the",
  'request, 0.13 ms on the wire, 0.12 ms to the first middleware, 0.10 ms for the token check, 0.17 ms reading',
  'the body). Since decision 0040 the request is opened early in the job and only its body is sent at the',
  'end: 0.5 ms (0.06 ms building the body, 0.15 ms writing it, 0.11 ms on the wire, 0.19 ms to the parsed body),',
  'then 0.1 ms checking it against the contract; recording and marking the report succeeded take the same',
  "1.5 ms as the in-process runtime's two statements. Much of what is left is this machine's CPU after idling: an",
  'ECR `send()` takes 0.35 ms to reach its socket in a tight loop and 1.0–1.2 ms after even 5 ms idle (same',
  'SDK and client settings, a local HTTP server), a SQLite recording 0.6 ms hot and 1.1 ms after 10 ms idle,',
  'and every step of a report starts after a wait. The bare client pays that too, once per call.',
  "Since 2026-12-03 imagetrail's ECR and STS clients resolve their middleware stack once per command type",
  "(the SDK's `cacheMiddleware`; the bare client keeps the SDK default, resolving it on every send). The",
  'headline ratio, 30 pairs per run, was 0.70–0.77× in six runs before (four at 0.75–0.76×) and 0.72–0.76× in six after.',
  'Traced then, per (b) report (p50): job start →',
  'BatchGetImage on the wire 1.2 ms (the SDK 0.8 of it); its answer → the config blob GET on the wire 1.4 ms',
  '(the SDK 0.5); the blob → the completion sent 0.9 ms; the completion on the control plane 1.5 ms (recording',
  'and marking the report succeeded in one SQLite transaction, through Kysely).',
  '',
];
