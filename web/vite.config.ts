import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard: React + TypeScript, built to dist/web and served by `imagetrail serve` (src/server/static.ts).
// JSX is compiled by Vite's own transform (automatic runtime, from tsconfig "jsx": "react-jsx"); no plugin.
const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The project's own modules the dashboard bundles (web/src; from src/ the contract and the browser-safe domain
 * and type definitions) only define things, but their top-level zod schema construction looks like a side
 * effect to the bundler. Declared pure, a page's schemas travel with that page's chunk instead of being
 * pinned to the entry by web/src/api/schemas.ts's re-exports. The stylesheet and main.tsx are the exceptions;
 * packages keep what their package.json declares.
 */
const OWN_SIDE_EFFECTS = [
  { test: /\/web\/src\/main\.tsx$|\.css$/, sideEffects: true },
  {
    test: /^(?!.*\/node_modules\/).*\/(web\/src|src\/(contract|domain|integrations\/types))\/.*\.tsx?$/,
    sideEffects: false,
  },
];

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    target: 'es2022',
    // The CSP forbids inline scripts: no module-preload polyfill injected into index.html.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      treeshake: { moduleSideEffects: OWN_SIDE_EFFECTS },
      output: {
        // Each page is a chunk of its own (web/src/pages/lazy.tsx). The packages (React, zod) go in one
        // chunk: it changes only when a dependency does, so a browser keeps it across dashboard releases.
        codeSplitting: { groups: [{ name: 'vendor', test: /\/node_modules\// }] },
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
