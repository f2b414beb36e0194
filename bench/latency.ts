import { HOST, startPeers, startServerWithEcr, timedReport } from './lib/ecr-env.js';
import { bareEcrClient } from './lib/bare-ecr.js';
import { ms, ratio, summarize, table } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';
import { generateIdentity, seal, unseal } from '../src/config-repo/sealing.js';

/**
 * Report → enriched latency of single-arch images (warm), next to a bare client doing the same calls
 * sequentially in the same run, on the same images, through the same proxies.
 */
export const latencyBench: Benchmark = {
  name: 'latency',
  title: 'Report → enriched latency vs bare SDK calls',
  async run(ctx) {
    const n = ctx.quick ? 20 : 60;
    const peers = await startPeers(async (seed) => {
      await seed.image('bench/lat', 'warmup', { format: 'oci' });
      for (let i = 0; i < n; i++) await seed.image('bench/lat', `v${i}`, { format: 'oci' });
    });
    try {
      const env = await startServerWithEcr(peers);
      const bareClient = await bareEcrClient({
        ecrUrl: env.ecrProxy.url,
        registryUrl: env.registryProxy.url,
        credentials: peers.scenario.users.ro,
        repository: 'bench/lat',
      });
      const { parts: bareParts } = bareClient;
      const bare = bareClient.run;
      try {
        const phases: Record<string, number[]> = {};
        const PHASES: Array<[string, string, string]> = [
          ['accepted → `integration` step (claim, config snapshot)', 'created', 'integration'],
          ['→ `registry` step (DescribeImages ‖ BatchGetImage)', 'integration', 'registry'],
          ['→ `config` step (config blob GET)', 'registry', 'config'],
          ['→ `recorded` step (referrers from the cached tag list, image upsert)', 'config', 'recorded'],
          ['→ succeeded (step writes, job completion)', 'recorded', 'updated'],
        ];
        const report = async (tag: string): Promise<{ client: number; server: number }> => {
          const { client, server, done } = await timedReport(env, `${HOST}/bench/lat:${tag}`);
          const at: Record<string, number> = {
            created: Date.parse(done.createdAt),
            updated: Date.parse(done.updatedAt),
          };
          for (const st of done.steps) at[st.name] ??= Date.parse(st.at);
          for (const [label, from, to] of PHASES) {
            const a = at[from];
            const z = at[to];
            if (a !== undefined && z !== undefined) (phases[label] ??= []).push(z - a);
          }
          return { client, server };
        };
        // Warm both paths (SDK clients, sockets, token, tag list), untimed.
        await bare('warmup');
        await report('warmup');
        ctx.log(`latency: ${n} reports, interleaved with the bare client`);
        const bareMs: number[] = [];
        const clientMs: number[] = [];
        const serverMs: number[] = [];
        for (let i = 0; i < n; i++) {
          bareMs.push(await bare(`v${i}`));
          const r = await report(`v${i}`);
          clientMs.push(r.client);
          serverMs.push(r.server);
        }
        for (const k of Object.keys(phases)) phases[k] = phases[k]!.slice(-n); // drop the warm-up
        // What unsealing the integration's secret costs (the pipeline does it on every report), same code, this process.
        const [rt, cp] = await Promise.all([generateIdentity(), generateIdentity()]);
        const sealed = await seal('bench-secret-access-key', [rt.recipient, cp.recipient]);
        const unsealMs: number[] = [];
        for (let i = 0; i < 53; i++) {
          const t0 = performance.now();
          await unseal(sealed, rt.identity);
          if (i >= 3) unsealMs.push(performance.now() - t0);
        }
        const u = summarize(unsealMs);
        const b = summarize(bareMs);
        const c = summarize(clientMs);
        const s = summarize(serverMs);
        const markdown = [
          table(
            ['measure', 'n', 'p50', 'p95', 'p50 / bare', 'p95 / bare'],
            [
              [
                'bare client: DescribeImages → BatchGetImage → config blob GET, sequential (reference)',
                b.n,
                ms(b.p50),
                ms(b.p95),
                '1.00×',
                '1.00×',
              ],
              [
                'imagetrail, server side: report `createdAt` → `updatedAt` (succeeded)',
                s.n,
                ms(s.p50),
                ms(s.p95),
                ratio(s.p50, b.p50),
                ratio(s.p95, b.p95),
              ],
              [
                'imagetrail, client side: POST /api/v1/image-reports → GET shows succeeded (polling every 3 ms)',
                c.n,
                ms(c.p50),
                ms(c.p95),
                ratio(c.p50, b.p50),
                ratio(c.p95, b.p95),
              ],
            ],
          ),
          '',
          "The bare client's calls, each: " +
            Object.entries(bareParts)
              .map(([k, v]) => `${k} ${ms(summarize(v.slice(-n)).p50)} p50`)
              .join(', ') +
            '.',
          '',
          "Where the server-side time goes, from the timestamps of the report's own steps (ms resolution, so small phases round to 0–1 ms):",
          '',
          table(
            ['phase', 'p50', 'p95', 'mean'],
            PHASES.map(([label]) => {
              const v = phases[label] ?? [];
              const x = summarize(v);
              return [label, ms(x.p50), ms(x.p95), ms(v.reduce((a, c) => a + c, 0) / Math.max(1, v.length))];
            }),
          ),
          '',
          `Goal (DESIGN): a report is enriched in no more time than the bare sequential calls take — server side p50 is ${ratio(s.p50, b.p50)} the bare client's${s.p50 <= b.p50 ? '' : ' (**missed**)'}.`,
          '',
          `Unsealing one age-sealed secret (\`unseal\` from src/config-repo/sealing.ts) takes ${ms(u.p50)} p50 / ${ms(u.p95)} p95 in this process; the pipeline`,
          'opens an integration secret once per stored value and keeps it (a rotated secret is a new value), so reports do not pay it.',
          ...(s.p50 > b.p50
            ? [
                '',
                'Why the goal is still missed (read with the phase table): the `registry` phase holds DescribeImages ‖ BatchGetImage *in',
                'parallel*, yet moto serves one request at a time (Python), so the pair does not overlap there as it does on AWS, and the',
                "phase costs about the bare client's two sequential calls. On top come what the bare client does not do: persisting the",
                'job and each step, the claim, the config snapshot and client lookups, and recording the image. The `config` phase is',
                'one blob GET through RegistryClient (digest verified, size-capped), against a bare GET that checks nothing.',
              ]
            : []),
          '',
          `${n} distinct single-arch OCI images of one repository, each reported once, after one untimed warm-up report; the bare client`,
          '(AWS SDK v3 ECRClient + fetch, warm token and sockets, in the benchmark process) reads the same image just before each report,',
          "through the same counting proxies, so noise hits both alike. Server-side times are the report's own timestamps (ms resolution):",
          'they include persisting the job, the claim, the integration lookup and unsealing, the enrichment, and recording the image.',
          'moto answers each ECR call in a few ms (Python, single process), which dominates both columns.',
        ].join('\n');
        return { markdown, data: { bareMs, bareParts, clientMs, serverMs, phases, unsealMs } };
      } finally {
        bareClient.close();
        await env.stop();
      }
    } finally {
      await peers.stop();
    }
  },
};
