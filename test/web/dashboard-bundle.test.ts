import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALLOWED_OUTSIDE,
  buildDashboard,
  readDashboard,
  sizeOf,
  type DashboardBundle,
} from '../helpers/dashboard-bundle.js';

// The built dashboard, chunk by chunk (test/web/dashboard-imports.test.ts reads the sources). Issue 10: the
// bundle carried the server's config-repo code and every page in one 417 KB script; now each page is a chunk
// of its own, loaded on first visit, and no chunk holds server code.

let outDir: string;
let bundle: DashboardBundle;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'imagetrail-web-'));
  await buildDashboard(outDir);
  bundle = await readDashboard(outDir);
}, 180_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const KB = 1000;
const scripts = () => [...bundle.assets.values()].filter((a) => a.file.endsWith('.js'));
/** A page module the shell loads lazily: every page but the sign-in (the first page without a token). */
const isLazyPage = (src: string) => /^web\/src\/pages\//.test(src) && !/\/(sign-in|lazy)\.tsx$/.test(src);

describe('the built dashboard', () => {
  it('has more than one chunk, each with its sources (the checks below walk every one)', () => {
    expect(scripts().length).toBeGreaterThan(5);
    for (const a of scripts()) {
      if (/\/rolldown-runtime-[^/]+\.js$/.test(a.file)) expect(a.raw).toBeLessThan(1 * KB);
      else expect(a.sources.length, a.file).toBeGreaterThan(0);
    }
    expect(bundle.pages.size).toBeGreaterThanOrEqual(9);
  });

  it('no chunk holds server code (config-repo, re2js) or a React development build', () => {
    const bad = scripts().flatMap((a) =>
      a.sources
        .filter(
          (s) =>
            /^node_modules\/re2js\//.test(s) ||
            /\.development\.js$/.test(s) ||
            (!s.startsWith('web/src/') &&
              !s.startsWith('node_modules/') &&
              !ALLOWED_OUTSIDE.some((re) => re.test(s))),
        )
        .map((s) => `${a.file}: ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('loads no page but the sign-in before it is visited', () => {
    const first = bundle.entry.flatMap((f) => bundle.assets.get(f)?.sources ?? []);
    expect(first).toContain('web/src/pages/sign-in.tsx');
    expect(first.filter(isLazyPage)).toEqual([]);
    const later = scripts().flatMap((a) => a.sources);
    expect(later).toContain('web/src/pages/integration-form/form.tsx');
  });

  // Budgets on bytes, which a build reproduces exactly (unlike timings), raw as written to dist/web.
  it('keeps the first load within its budgets', () => {
    const entry = sizeOf(bundle, bundle.entry);
    // Every first page, the sign-in included: the packages (React, react-dom, zod: 311 KB), the shell and the
    // stylesheet, 346 KB when the budget was set. Before issue 10's split, every page loaded 426 KB.
    expect(entry.raw).toBeLessThanOrEqual(360 * KB);
    // The shell alone (main, app, router, sign-in, API client: 27 KB). A page imported statically again
    // instead of through web/src/pages/lazy.tsx adds 5–40 KB with its schemas; this catches it.
    const vendor = (f: string) => {
      const sources = bundle.assets.get(f)?.sources ?? [];
      return sources.length > 0 && sources.every((s) => s.startsWith('node_modules/'));
    };
    const shell = bundle.entry.filter((f) => f.endsWith('.js') && !vendor(f));
    expect(sizeOf(bundle, shell).raw).toBeLessThanOrEqual(40 * KB);
    // What a first visit to a page adds: its code and schemas. The largest, the integration form with every
    // integration type's form, added 40 KB.
    for (const [page, files] of bundle.pages)
      expect(sizeOf(bundle, files).raw - entry.raw, page).toBeLessThanOrEqual(50 * KB);
  });
});
