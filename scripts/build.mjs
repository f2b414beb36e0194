// Bundles the CLI and server into dist/ with esbuild. Code splitting keeps the AWS SDK out of the
// start-up path: commands that need it import it dynamically.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Start clean: chunk names carry content hashes, so stale chunks of earlier builds would pile up. dist/web
// is the dashboard's (vite empties it itself), so it stays.
for (const f of existsSync('dist') ? readdirSync('dist') : []) {
  if (f !== 'web') rmSync(`dist/${f}`, { recursive: true, force: true });
}

await build({
  // The agent's identity lookup is an entry of its own: GetCallerIdentity runs in a short-lived child process.
  entryPoints: { cli: 'src/cli/bin.ts', 'agent-identity': 'src/agent/identity-worker.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // Prefer the ESM builds (the AWS SDK ships both): named dynamic imports then work, and tree-shaking too.
  mainFields: ['module', 'main'],
  target: 'node22',
  sourcemap: true,
  // Native addon and drivers stay external; pino's worker transports are not used.
  external: ['better-sqlite3', 'pg', 'pg-native'],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  define: { __IMAGETRAIL_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});

// The GitHub Action's entry (action.yml): one self-contained file, because the runner executes the
// Action's checkout as it is, without installing dependencies.
await build({
  entryPoints: { action: 'src/action/entry.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'node',
  mainFields: ['module', 'main'],
  target: 'node22',
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  define: { __IMAGETRAIL_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
