import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard: React + TypeScript, built to dist/web and served by `imagetrail serve` (src/server/static.ts).
// JSX is compiled by Vite's own transform (automatic runtime, from tsconfig "jsx": "react-jsx"); no plugin.
const root = fileURLToPath(new URL('.', import.meta.url));

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
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
