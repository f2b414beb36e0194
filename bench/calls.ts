import type { PushedImage, PushedIndex } from '../test/peers/images.js';
import {
  HOST,
  postReport,
  reportAndWait,
  startPeers,
  startServerWithEcr,
  waitReport,
} from './lib/ecr-env.js';
import { countBy, registryKind, type CountingProxy } from './lib/proxy.js';
import { table } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

interface Counts {
  DescribeImages: number;
  BatchGetImage: number;
  GetAuthorizationToken: number;
  otherEcr: number;
  /** STS requests (AssumeRole in IAM-role mode; none with an access key). */
  sts: number;
  manifest: number;
  blob: number;
  tags: number;
  otherRegistry: number;
}

function counts(ecr: CountingProxy, sts: CountingProxy, reg: CountingProxy): Counts {
  const e = countBy(ecr.requests, (s) => s.target);
  const r = countBy(reg.requests, (s) =>
    s.method === 'GET' || s.method === 'HEAD' ? registryKind(s) : `${s.method} ${registryKind(s)}`,
  );
  const { DescribeImages = 0, BatchGetImage = 0, GetAuthorizationToken = 0, ...restE } = e;
  const { manifest = 0, blob = 0, tags = 0, ...restR } = r;
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    DescribeImages,
    BatchGetImage,
    GetAuthorizationToken,
    otherEcr: sum(restE),
    sts: sts.requests.length,
    manifest,
    blob,
    tags,
    otherRegistry: sum(restR),
  };
}

const KEYS: Array<keyof Counts> = [
  'DescribeImages',
  'BatchGetImage',
  'GetAuthorizationToken',
  'otherEcr',
  'sts',
  'manifest',
  'blob',
  'tags',
  'otherRegistry',
];

/**
 * ECR API calls (by X-Amz-Target) and registry calls per report, through counting proxies in front of
 * moto and the registry. Goal (DESIGN): a warm single-arch report = DescribeImages + BatchGetImage + one
 * blob GET; no GetAuthorizationToken after the first.
 */
export const callsBench: Benchmark = {
  name: 'calls',
  title: 'Calls per report with warm caches',
  async run(ctx) {
    const n = ctx.quick ? 5 : 10;
    const burst = ctx.quick ? 5 : 10;
    const images: PushedImage[] = [];
    const burstImages: PushedImage[] = [];
    const indexes: PushedIndex[] = [];
    const peers = await startPeers(async (seed) => {
      images.push(await seed.image('bench/calls', 'warmup', { format: 'oci' }));
      for (let i = 0; i < n; i++) images.push(await seed.image('bench/calls', `v${i}`, { format: 'oci' }));
      for (let i = 0; i < burst; i++)
        burstImages.push(await seed.image('bench/burst', `b${i}`, { format: 'oci' }));
      indexes.push(await seed.index('bench/multi', 'warmup', { format: 'oci' }));
      indexes.push(await seed.index('bench/multi', 'idx', { format: 'oci' }));
    });
    try {
      const env = await startServerWithEcr(peers);
      try {
        const { ecrProxy, stsProxy, registryProxy } = env;
        const reset = () => {
          ecrProxy.reset();
          stsProxy.reset();
          registryProxy.reset();
        };
        const measureOn =
          (e: typeof env) =>
          async (image: string): Promise<Counts> => {
            e.ecrProxy.reset();
            e.stsProxy.reset();
            e.registryProxy.reset();
            await reportAndWait(e, image);
            return counts(e.ecrProxy, e.stsProxy, e.registryProxy);
          };
        const measure = measureOn(env);
        const rows: Array<Array<string | number>> = [];
        const data: Record<string, unknown> = {};
        const row = (label: string, c: Counts | Record<keyof Counts, string>, goal: string) =>
          rows.push([label, ...KEYS.map((k) => String(c[k])), goal]);

        ctx.log('calls: first report');
        const first = await measure(`${HOST}/bench/calls:warmup`);
        row('1st report after start (the integration test at `add` already ran)', first, '—');
        data['first'] = first;

        ctx.log(`calls: ${n} distinct single-arch images`);
        const per: Counts[] = [];
        for (let i = 0; i < n; i++) per.push(await measure(`${HOST}/bench/calls:v${i}`));
        data['singleArch'] = per;
        const range = Object.fromEntries(
          KEYS.map((k) => {
            const v = per.map((c) => c[k]);
            const lo = Math.min(...v);
            const hi = Math.max(...v);
            return [k, lo === hi ? String(lo) : `${lo}–${hi}`];
          }),
        ) as Record<keyof Counts, string>;
        row(
          `single-arch, warm: each of ${n} distinct images (min–max per report)`,
          range,
          '1 / 1 / 0 / 0 / 0 · 0 / 1 / 0 / 0',
        );

        ctx.log('calls: index');
        const idxWarm = await measure(`${HOST}/bench/multi:warmup`);
        row('OCI index (2 platforms), 1st in its repository', idxWarm, '—');
        const idx = await measure(`${HOST}/bench/multi:idx`);
        row('OCI index (2 platforms), warm', idx, '1 / 2 / 0 / 0 / 0 · 0 / 0 / 0 / 0');
        data['index'] = { first: idxWarm, warm: idx };

        ctx.log(`calls: burst of ${burst} concurrent reports`);
        reset();
        // All POSTed at once, then waited for as the CLI's --wait does (polling every few ms from ten
        // clients would load the server more than the reports do).
        const accepted = await Promise.all(
          burstImages.map((_, i) => postReport(env, `${HOST}/bench/burst:b${i}`)),
        );
        const ended = await Promise.all(
          accepted.map((a) => waitReport(env, a.id, { firstDelayMs: 200, growth: 1.5, maxDelayMs: 1000 })),
        );
        const failedInBurst = ended.filter((v) => v.status !== 'succeeded');
        if (failedInBurst.length) throw new Error(`burst: ${JSON.stringify(failedInBurst[0]?.error)}`);
        const b = counts(ecrProxy, stsProxy, registryProxy);
        const t0 = ecrProxy.requests[0]?.at ?? 0;
        const timeline = ecrProxy.requests.map((r) => ({
          target: r.target,
          startMs: Math.round(r.at - t0),
          ms: Math.round((r.answeredAt ?? r.at) - r.at),
        }));
        data['burstTimeline'] = timeline;
        const c0 = Math.min(...ended.map((v) => Date.parse(v.createdAt)));
        data['burstReports'] = ended.map((v) => ({
          acceptedMs: Date.parse(v.createdAt) - c0,
          endedMs: Date.parse(v.updatedAt) - c0,
          steps: v.steps.map((st) => `${st.name}@${Date.parse(st.at) - c0}`),
        }));
        row(
          `burst: ${burst} distinct images of one new repository reported at once (total)`,
          b,
          `< ${burst} / < ${burst} / 0 / 0 / 0 · 0 / ${burst} / 1 / 0`,
        );
        data['burst'] = b;

        ctx.log(`calls: IAM-role integration, ${n} reports`);
        const roleEnv = await startServerWithEcr(peers, { mode: 'iamRole' });
        let roleOk = false;
        try {
          const measureRole = measureOn(roleEnv);
          // The connection test at `add` (GetCallerIdentity, AssumeRole, …) already opened the role session.
          const stsAtAdd = countBy(roleEnv.stsProxy.requests, () => 'all')['all'] ?? 0;
          const roleFirst = await measureRole(`${HOST}/bench/calls:warmup`);
          row(
            `IAM role (chained from the server identity), 1st report after start (the test at \`add\` made ${stsAtAdd} STS calls)`,
            roleFirst,
            '—',
          );
          data['iamRoleStsAtAdd'] = stsAtAdd;
          const rolePer: Counts[] = [];
          for (let i = 0; i < n; i++) rolePer.push(await measureRole(`${HOST}/bench/calls:v${i}`));
          const stsWarm = rolePer.reduce((a, c) => a + c.sts, 0);
          const gatWarm = rolePer.reduce((a, c) => a + c.GetAuthorizationToken, 0);
          row(
            `IAM role, warm: ${n} more reports (total)`,
            Object.fromEntries(KEYS.map((k) => [k, String(rolePer.reduce((a, c) => a + c[k], 0))])) as Record<
              keyof Counts,
              string
            >,
            `${n} / ${n} / 0 / 0 / 0 · 0 / ${n} / 0 / 0`,
          );
          data['iamRole'] = { first: roleFirst, warm: rolePer };
          roleOk = stsWarm === 0 && gatWarm === 0;
        } finally {
          await roleEnv.stop();
        }

        const ok = per.every(
          (c) =>
            c.DescribeImages === 1 &&
            c.BatchGetImage === 1 &&
            c.GetAuthorizationToken === 0 &&
            c.blob === 1 &&
            c.manifest === 0 &&
            c.tags === 0 &&
            c.otherEcr === 0 &&
            c.sts === 0 &&
            c.otherRegistry === 0,
        );
        const markdown = [
          table(
            [
              'report',
              'DescribeImages',
              'BatchGetImage',
              'GetAuthorizationToken',
              'other ECR',
              'STS',
              'registry manifest GET',
              'registry blob GET',
              'registry tags GET',
              'other registry',
              'goal (same order)',
            ],
            rows,
          ),
          '',
          `Goal for a warm single-arch report: DescribeImages + BatchGetImage + one blob GET, no GetAuthorizationToken — ${ok ? 'met on every report' : '**missed** (see below)'}.`,
          '',
          `Goal in IAM-role mode: AssumeRole once per session (the SDK refreshes it before it expires), no STS call or`,
          `GetAuthorizationToken on warm reports — ${roleOk ? 'met' : '**missed**'}.`,
          '',
          `Goal for concurrent reports of one repository (DESIGN: they share DescribeImages/BatchGetImage batches): the burst of ${burst} made`,
          `${b.DescribeImages} DescribeImages and ${b.BatchGetImage} BatchGetImage${b.DescribeImages >= burst ? ' — **missed**' : ''}.`,
          'EcrImageLookup sends a lone lookup at once; lookups for a repository that arrive while a call for it is in flight wait',
          'for that call and then go out together (test/ecr-lookup.test.ts), so a burst costs a few calls, not one per report.',
          '',
          'Setup as in test/e2e/report-image-fixture.ts: moto with IAM enforcement on, distribution as the ECR data plane, an access-key',
          'integration added with its connection test; a counting proxy (bench/lib/proxy.ts, which also records `X-Amz-Target`) in front',
          'of moto (`--api-endpoint`) and of the registry (`--registry-endpoint`). Each report is POSTed and waited for before the next;',
          'counts are reset between reports. "Warm" = after a first report in the same repository (token, tag list and SDK client cached).',
          'The tag list (for cosign/tag-schema referrers) is cached 30 s per repository, so a report in a repository not seen for 30 s',
          'costs one `tags/list` GET more. The IAM-role rows use a second server whose own identity (the keys of a user allowed to',
          'assume the role, in its environment) chains into a read-only role, through a counting proxy in front of STS',
          '(`--sts-endpoint`); its caches start cold, so every one of its reports reads its config blob.',
        ].join('\n');
        return { markdown, data };
      } finally {
        await env.stop();
      }
    } finally {
      await peers.stop();
    }
  },
};
