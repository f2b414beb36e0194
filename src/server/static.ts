import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MiddlewareHandler } from 'hono';

/**
 * Serves the dashboard (the Vite build in `dist/web`) at `/`:
 * - files under `assets/` carry a content hash in their name, so they are cached for a year, immutable;
 * - a GET of one of the dashboard's own routes gets `index.html` (client-side routes), never cached;
 *   any other path falls through to the JSON not-found handler;
 * - every answer has a Content-Security-Policy without inline scripts or styles, `nosniff`, no framing.
 * API paths (`/api/…`) and `/healthz` are left to the routes and the JSON not-found handler.
 */

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Where the build is: `dist/web` next to the bundled server, or from the sources (tests), `../../dist/web`. */
export function defaultDashboardRoot(): string | undefined {
  const candidates = [
    fileURLToPath(new URL('./web/', import.meta.url)),
    fileURLToPath(new URL('../../dist/web/', import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/**
 * The dashboard's client-side routes (web/src/app.tsx): only these get index.html. Anything else that is
 * not a file (`/metrics`, `/readyz`, a typo under `/api/`) is left to the JSON not-found handler, so probes
 * and scrapers never mistake the dashboard for an answer.
 */
const DASHBOARD_ROUTES = ['/integrations', '/runtimes', '/images', '/applications', '/reports', '/audit'];

function isDashboardRoute(path: string): boolean {
  if (path === '/' || path === '/signin' || path === '/index.html') return true;
  return DASHBOARD_ROUTES.some((r) => path === r || path.startsWith(r + '/'));
}

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

export interface DashboardOptions {
  /** The directory holding `index.html` and `assets/`; default: `defaultDashboardRoot()`. */
  root?: string;
}

/**
 * Use as `app.use('*', serveDashboard())` after the API routes. Calls `next()` for API paths, non-GET
 * methods and when the dashboard is not built, so those end in the usual JSON answers.
 */
export function serveDashboard(opts: DashboardOptions = {}): MiddlewareHandler {
  const root = opts.root ? resolve(opts.root) : defaultDashboardRoot();
  let indexHtml: Promise<Buffer> | undefined;

  const readIndex = (dir: string): Promise<Buffer> => {
    // Read once: the build does not change under a running server, and index.html is on every navigation.
    indexHtml ??= readFile(join(dir, 'index.html')).catch((err: unknown) => {
      indexHtml = undefined;
      throw err;
    });
    return indexHtml;
  };

  return async (c, next) => {
    const method = c.req.method;
    if ((method !== 'GET' && method !== 'HEAD') || isApiPath(c.req.path)) return next();
    if (!root) {
      if (!isDashboardRoute(c.req.path)) return next();
      return c.text(
        'The dashboard is not built: run "npm run build" (or "npm run build:web") and restart the server.\n',
        404,
        { ...SECURITY_HEADERS, 'Cache-Control': 'no-store' },
      );
    }

    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      return c.text('Bad path\n', 400, SECURITY_HEADERS);
    }
    const file = resolve(root, '.' + normalize('/' + path));
    const inside = file === root || file.startsWith(root.endsWith(sep) ? root : root + sep);
    if (inside && file !== root && !path.includes('\0')) {
      const st = await stat(file).catch(() => undefined);
      if (st?.isFile()) {
        const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
        const hashed = path.startsWith('/assets/');
        const headers = {
          ...SECURITY_HEADERS,
          'Content-Type': type,
          'Content-Length': String(st.size),
          'Cache-Control': hashed ? IMMUTABLE : 'no-cache',
        };
        if (method === 'HEAD') return c.body(null, 200, headers);
        return c.body(new Uint8Array(await readFile(file)), 200, headers);
      }
    }
    // A missing hashed asset is a stale page asking for an old build: say so, do not send HTML as JS.
    if (path.startsWith('/assets/') || extname(path) !== '') {
      return c.text('Not found\n', 404, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store' });
    }
    if (!isDashboardRoute(path)) return next();
    const html = await readIndex(root);
    const headers = {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
    };
    if (method === 'HEAD') return c.body(null, 200, headers);
    return c.body(new Uint8Array(html), 200, headers);
  };
}
