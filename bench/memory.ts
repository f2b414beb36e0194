import { rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, baseEnv, startImagetrail, type ServerHandle } from '../test/helpers/imagetrail.js';
import { rssOf } from './lib/proc.js';
import { seededSqliteDataDir } from './lib/seeded.js';
import { mb, median, table, verdict } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

const BUDGET = 120 * 1024 * 1024;

/** RSS read 5 times over ~2.5 s once the process is idle; the median, and the peak (VmHWM). */
async function idleRss(pid: number): Promise<{ rss: number; hwm: number }> {
  await sleep(1000);
  const rss: number[] = [];
  let hwm = 0;
  for (let i = 0; i < 5; i++) {
    const r = await rssOf(pid);
    rss.push(r.rss);
    hwm = Math.max(hwm, r.hwm);
    await sleep(500);
  }
  return { rss: median(rss), hwm };
}

async function fewRequests(s: ServerHandle): Promise<void> {
  for (const path of [
    '/healthz',
    '/api/v1/runtimes',
    '/api/v1/integrations',
    '/api/v1/images',
    '/api/v1/tokens',
  ]) {
    const r = await api(s, 'GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
  }
}

async function listPages(s: ServerHandle, pages: number): Promise<void> {
  let cursor: string | undefined;
  for (let i = 0; i < pages; i++) {
    const r = await api(
      s,
      'GET',
      `/api/v1/images?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (r.status !== 200) throw new Error(`list page ${i}: ${r.status}`);
    cursor = (r.json as { nextCursor?: string }).nextCursor;
  }
  for (const q of [
    'repository=team-3/service-3',
    'tag=latest',
    'registry=ghcr.io',
    'branch=feature/f-7',
    'issue=SEED-41',
  ]) {
    const r = await api(s, 'GET', `/api/v1/images?${q}`);
    if (r.status !== 200) throw new Error(`list ${q}: ${r.status}`);
  }
}

/** Server RSS: idle after start + a few requests (budget < 120 MB), and with 100k images after listing pages. */
export const memoryBench: Benchmark = {
  name: 'memory',
  title: 'Server memory (RSS)',
  async run(ctx) {
    const count = 100_000;
    // Reference: an idle bare Node process, measured the same way in the same run.
    const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], {
      env: baseEnv(),
      stdio: 'ignore',
    });
    let ref: { rss: number; hwm: number };
    try {
      ref = await idleRss(bare.pid!);
    } finally {
      bare.kill('SIGTERM');
    }

    ctx.log('memory: idle server');
    const idle = await startImagetrail();
    let fresh: { rss: number; hwm: number };
    try {
      await fewRequests(idle);
      fresh = await idleRss(idle.proc.pid!);
    } finally {
      await idle.stop();
    }

    ctx.log(`memory: seeding ${count} images into SQLite`);
    const seeded = await seededSqliteDataDir(count);
    let big: { rss: number; hwm: number };
    let afterStart: { rss: number; hwm: number };
    try {
      const s = await startImagetrail({ dataDir: seeded.dataDir });
      try {
        await fewRequests(s);
        afterStart = await idleRss(s.proc.pid!);
        await listPages(s, 20);
        big = await idleRss(s.proc.pid!);
      } finally {
        await s.stop();
      }
    } finally {
      await rm(seeded.dataDir, { recursive: true, force: true });
    }
    const markdown = [
      table(
        ['process', 'RSS (median of 5, idle)', 'peak RSS (VmHWM)', 'vs bare node', 'budget'],
        [
          ['bare `node -e "setInterval(…)"` (reference)', mb(ref.rss), mb(ref.hwm), '—', '—'],
          [
            '`imagetrail serve`, empty store, after start + 5 GET requests',
            mb(fresh.rss),
            mb(fresh.hwm),
            `+${mb(fresh.rss - ref.rss)}`,
            `< 120 MB: ${verdict(fresh.rss < BUDGET)}`,
          ],
          [
            `\`imagetrail serve\`, SQLite with ${count / 1000}k images, after start + 5 GET requests`,
            mb(afterStart.rss),
            mb(afterStart.hwm),
            `+${mb(afterStart.rss - ref.rss)}`,
            verdict(afterStart.rss < BUDGET),
          ],
          [
            `… after 20 pages of 50 and 5 filtered lists`,
            mb(big.rss),
            mb(big.hwm),
            `+${mb(big.rss - ref.rss)}`,
            verdict(big.rss < BUDGET),
          ],
        ],
      ),
      '',
      'RSS from /proc/PID/status of the `node bin/imagetrail serve` process, read 5 times 0.5 s apart after 1 s of quiet. No integration',
      'is configured and no report runs here, so the AWS SDK is not loaded (it is imported on first ECR use). The 100k images',
      `were inserted with bench/seed-images.ts into the server's SQLite file before it started (seeding took ${(seeded.seed.ms / 1000).toFixed(1)} s).`,
      "SQLite's page cache (better-sqlite3, in process) counts in the RSS.",
    ].join('\n');
    return { markdown, data: { ref, fresh, afterStart, big, seed: seeded.seed } };
  },
};
