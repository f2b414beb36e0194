import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as z from 'zod';
import { ROOT } from './imagetrail.js';

/** Outside web/src, the dashboard may bundle only the shared contract and the domain's browser-safe formats. */
export const ALLOWED_OUTSIDE = [
  /^src\/contract\//,
  /^src\/domain\/names\.ts$/,
  /^src\/domain\/semver\.ts$/,
  /^src\/domain\/issue-path\.ts$/,
  // Integration type definitions (browser-safe by the dependency-cruiser rule type-definition-browser-safe).
  /^src\/integrations\/types\/(definition|definitions|form-model)\.ts$/,
  /^src\/integrations\/types\/[^/]+\/(kind|form|flags|definition|view)\.ts$/,
];

/**
 * Builds the dashboard with `npm run build:web` itself, into `outDir`, plus Vite's manifest (who imports whom).
 * The environment is passed on as it is (vitest exports NODE_ENV=test): the script must make a production
 * build all the same.
 */
export async function buildDashboard(outDir: string): Promise<void> {
  const args = ['run', 'build:web', '--', '--outDir', outDir, '--emptyOutDir', '--manifest'];
  await promisify(execFile)('npm', args, { cwd: ROOT });
}

const Manifest = z.record(
  z.string(),
  z.object({
    file: z.string(),
    name: z.string().optional(),
    isEntry: z.boolean().optional(),
    imports: z.array(z.string()).optional(),
    dynamicImports: z.array(z.string()).optional(),
    css: z.array(z.string()).optional(),
  }),
);
type Manifest = z.infer<typeof Manifest>;

const SourceMap = z.object({ sources: z.array(z.string()) });

export interface Asset {
  file: string;
  raw: number;
  /** gzip level 9, what a server that compresses would send. */
  gzip: number;
  /** The modules in it (from its source map), relative to the repository; none for the bundler's runtime. */
  sources: string[];
}

export interface DashboardBundle {
  /** Every emitted script and stylesheet, by its path under the output directory (`assets/…`). */
  assets: Map<string, Asset>;
  /** What every first page loads: the entry script, its static imports, the stylesheet. */
  entry: string[];
  /** Per lazily loaded page (the chunk's name), what a first visit there loads: `entry` plus the page's chunks. */
  pages: Map<string, string[]>;
}

async function asset(outDir: string, file: string): Promise<Asset> {
  const bytes = await readFile(join(outDir, file));
  let sources: string[] = [];
  // The bundler's own runtime helpers (a chunk of a few hundred bytes) come without a source map.
  if (file.endsWith('.js') && existsSync(join(outDir, file + '.map'))) {
    const map = SourceMap.parse(JSON.parse(await readFile(join(outDir, file + '.map'), 'utf8')));
    const dir = dirname(join(outDir, file));
    sources = map.sources.map((s) => relative(ROOT, resolve(dir, s)).replace(/^(\.\.\/)+/, ''));
  }
  return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, sources };
}

/** The files `key` loads before it runs: its own, its static imports' (transitively), their stylesheets. */
function closure(manifest: Manifest, key: string, into = new Set<string>()): Set<string> {
  const chunk = manifest[key];
  if (!chunk || into.has(chunk.file)) return into;
  into.add(chunk.file);
  for (const css of chunk.css ?? []) into.add(css);
  for (const dep of chunk.imports ?? []) closure(manifest, dep, into);
  return into;
}

/** Reads a build made by `buildDashboard`: sizes, contents and what each first page loads. */
export async function readDashboard(outDir: string): Promise<DashboardBundle> {
  const manifest = Manifest.parse(JSON.parse(await readFile(join(outDir, '.vite', 'manifest.json'), 'utf8')));
  const entryKey = Object.keys(manifest).find((k) => manifest[k]?.isEntry);
  if (!entryKey) throw new Error('the manifest names no entry');
  const files = new Set(Object.values(manifest).flatMap((c) => [c.file, ...(c.css ?? [])]));
  const assets = new Map(
    await Promise.all([...files].map(async (f) => [f, await asset(outDir, f)] as const)),
  );
  const entry = [...closure(manifest, entryKey)];
  const pages = new Map<string, string[]>();
  for (const key of manifest[entryKey]?.dynamicImports ?? []) {
    const name = manifest[key]?.name ?? key;
    pages.set(name, [...closure(manifest, key, new Set(entry))]);
  }
  return { assets, entry, pages };
}

/** The summed sizes of some of a build's files. */
export function sizeOf(bundle: DashboardBundle, files: Iterable<string>): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const a = bundle.assets.get(f);
    if (!a) throw new Error(`not in the build: ${f}`);
    raw += a.raw;
    gzip += a.gzip;
  }
  return { raw, gzip };
}
