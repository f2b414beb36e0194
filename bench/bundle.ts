import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildDashboard,
  readDashboard,
  sizeOf,
  type DashboardBundle,
} from '../test/helpers/dashboard-bundle.js';
import { table } from './lib/stats.js';
import type { Benchmark } from './lib/types.js';

/**
 * Before issue 10's route splitting (commit 7666a2d), measured the same way: one script with every page and
 * the stylesheet, 425,961 bytes raw (123,745 gzip), of which the script was 417,242 (121,055). Bytes do not
 * depend on the machine, so the old build is not rebuilt on every run.
 */
const BEFORE = { raw: 425_961, gzip: 123_745, files: 2 };

const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
const pct = (now: number, before: number) => `${(((now - before) / before) * 100).toFixed(0)} %`;

function row(label: string, now: { raw: number; gzip: number }): (string | number)[] {
  return [
    label,
    kb(BEFORE.raw),
    kb(now.raw),
    pct(now.raw, BEFORE.raw),
    kb(BEFORE.gzip),
    kb(now.gzip),
    pct(now.gzip, BEFORE.gzip),
  ];
}

function largestPage(bundle: DashboardBundle): [string, string[]] {
  const pages = [...bundle.pages].sort((a, b) => sizeOf(bundle, b[1]).raw - sizeOf(bundle, a[1]).raw);
  const top = pages[0];
  if (!top) throw new Error('the build has no lazily loaded page');
  return top;
}

/** The dashboard's bytes: what a first visit loads (entry and its imports, then a page's chunks), and in all. */
export const bundleBench: Benchmark = {
  name: 'bundle',
  title: 'Dashboard bundle size',
  async run(ctx) {
    const outDir = await mkdtemp(join(tmpdir(), 'imagetrail-bench-web-'));
    try {
      ctx.log('vite build');
      await buildDashboard(outDir);
      const bundle = await readDashboard(outDir);
      const entry = sizeOf(bundle, bundle.entry);
      const integrations = bundle.pages.get('integrations');
      const [largest, largestFiles] = largestPage(bundle);
      const all = sizeOf(bundle, bundle.assets.keys());
      const rows = [
        row('first load, every page (sign-in: entry script, its imports, stylesheet)', entry),
        ...(integrations
          ? [row('first visit to /integrations (the page after sign-in)', sizeOf(bundle, integrations))]
          : []),
        row(`first visit to the largest page (${largest})`, sizeOf(bundle, largestFiles)),
        row(`every file (${bundle.assets.size} now, ${BEFORE.files} before)`, all),
      ];
      const chunks = [...bundle.assets.values()]
        .sort((a, b) => b.raw - a.raw)
        .map((a) => [
          `\`${a.file.replace(/-[\w-]{8}\./, '.')}\``,
          kb(a.raw),
          kb(a.gzip),
          bundle.entry.includes(a.file) ? 'first load' : 'on visit',
        ]);
      const markdown = [
        table(
          [
            'what the browser downloads',
            'before raw',
            'now raw',
            'change',
            'before gzip',
            'now gzip',
            'change',
          ],
          rows,
        ),
        '',
        'Bytes as `npm run build:web` writes them to dist/web (raw) and gzip level 9 (what a compressing proxy sends),',
        'scripts and stylesheet, source maps excluded. Before: commit 7666a2d, one 417 KB script with every page. Now',
        'each page is a chunk loaded on first visit (web/src/pages/lazy.tsx), the packages (React, react-dom, zod)',
        'are one vendor chunk that survives dashboard releases in the browser cache, and the page schemas left the',
        'entry. React and zod are 311 KB of every first load. test/web/dashboard-bundle.test.ts holds the budgets.',
        '',
        '<details><summary>Files</summary>',
        '',
        table(['file', 'raw', 'gzip', 'loaded'], chunks),
        '',
        '</details>',
      ].join('\n');
      return {
        markdown,
        data: {
          before: BEFORE,
          entry,
          all,
          pages: Object.fromEntries([...bundle.pages].map(([p, f]) => [p, sizeOf(bundle, f)])),
        },
      };
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  },
};
