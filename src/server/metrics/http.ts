import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { TokenStore } from '../../store/token-store.js';
import { bearerAuth, requireScope, type AuthEnv } from '../auth.js';
import type { PrometheusMetrics } from './prometheus.js';

/**
 * The route pattern that answered, e.g. `/api/v1/images/:id`: the last matched route registered for a
 * method (middleware is registered for ALL). Requests only the dashboard fallback or the 404 handler saw
 * are `*`. A raw path never becomes a label: it would carry image ids and names without bound.
 */
export function routePattern(c: Context): string {
  let pattern = '*';
  try {
    for (const r of matchedRoutes(c)) if (r.method !== 'ALL') pattern = r.path;
  } catch {
    // No routing result (the request failed before routing): the catch-all label.
  }
  return pattern;
}

/** Times every request; install first so that it also sees requests refused by auth and by errors. */
export function httpMetrics(metrics: Pick<PrometheusMetrics, 'httpRequest'>): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      metrics.httpRequest(c.req.method, routePattern(c), c.res.status, (performance.now() - start) / 1000);
    }
  };
}

/**
 * `GET /metrics`, the Prometheus text exposition. Bearer-protected like the API (scope `metrics`, or
 * `admin`): the series name runtimes, integrations' error classes and traffic, which the threat model
 * keeps from anonymous callers. Prometheus sends the token with `authorization.credentials_file`.
 */
export function metricsRoute(
  metrics: Pick<PrometheusMetrics, 'exposition'>,
  tokens: Pick<TokenStore, 'verify' | 'touch'>,
): Hono<AuthEnv> {
  const r = new Hono<AuthEnv>();
  r.use(bearerAuth({ tokens }), requireScope('metrics'));
  r.get('/', async (c) => {
    const { contentType, body } = await metrics.exposition();
    c.header('Cache-Control', 'no-store');
    return c.body(body, 200, { 'Content-Type': contentType });
  });
  return r;
}
