#!/usr/bin/env node
// `npm run bench [-- NAME... --quick]`: bundles bench/main.ts with esbuild (like scripts/build.mjs; it lets the
// test peers' `.js` import specifiers resolve to their `.ts` sources), then runs it. The bundle goes to
// node_modules/.imagetrail-bench/ (ignored by Git; two levels under the checkout, so the helpers'
// `import.meta.dirname/../..` still names the checkout, and packages resolve from node_modules).
import { mkdirSync, rmSync } from 'node:fs';
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const dir = fileURLToPath(new URL('../node_modules/.imagetrail-bench/', import.meta.url));
const file = `${dir}main-${process.pid}.mjs`;
mkdirSync(dir, { recursive: true });
try {
  await build({
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  const { main } = await import(pathToFileURL(file).href);
  process.exitCode = await main(process.argv.slice(2));
} finally {
  rmSync(file, { force: true });
}
