import { Hono } from 'hono';
import type * as z from 'zod';
import type { Readiness } from '../contract/admin-answers.js';
import type { Logger } from '../logging/logger.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import { DISK_FULL_MESSAGE, type DiskFullState } from './disk-full.js';

/** One readiness check: resolves when the dependency works, throws (with a message for operators) when not. */
export type ReadinessCheck = () => Promise<void>;

export interface ProbeDeps {
  version: string;
  logger: Pick<Logger, 'warn'>;
  repo: Pick<ConfigRepo, 'snapshot'>;
  /** Extra health facts (the runner's queue) for /healthz; throws when the database is not available. */
  health?: () => Promise<Record<string, unknown>>;
  /** Named checks for /readyz (store, config repository, runner). */
  readiness?: Record<string, ReadinessCheck>;
  diskFull?: DiskFullState;
}

/**
 * The probes, without a token: `/livez` (the process answers), `/readyz` (every dependency works: 503 with
 * the reasons when not) and `/healthz` (facts for operators, 503 when degraded).
 */
export function probeRoutes(deps: ProbeDeps): Hono {
  const app = new Hono();
  app.get('/livez', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const checks: Record<string, { ok: boolean; message?: string }> = {};
    await Promise.all(
      Object.entries(deps.readiness ?? {}).map(async ([name, check]) => {
        try {
          await check();
          checks[name] = { ok: true };
        } catch (err) {
          checks[name] = { ok: false, message: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const since = deps.diskFull?.since;
    if (since) checks['disk'] = { ok: false, message: `${DISK_FULL_MESSAGE} (since ${since.toISOString()})` };
    const ready = Object.values(checks).every((v) => v.ok);
    const reasons = Object.entries(checks)
      .filter(([, v]) => !v.ok)
      .map(([name, v]) => `${name}: ${v.message ?? 'not ready'}`);
    const body = { status: ready ? 'ready' : 'not-ready', checks, reasons };
    return c.json(body satisfies z.input<typeof Readiness>, ready ? 200 : 503);
  });

  app.get('/healthz', async (c) => {
    const snap = deps.repo.snapshot();
    const base = {
      version: deps.version,
      configRepo: { commit: snap.commit, problems: snap.problems.length },
    };
    const since = deps.diskFull?.since;
    if (since) {
      return c.json(
        { status: 'degraded', ...base, disk: 'full', since: since.toISOString(), message: DISK_FULL_MESSAGE },
        503,
      );
    }
    try {
      return c.json({ status: 'ok', ...base, ...(deps.health ? await deps.health() : {}) });
    } catch (err) {
      // The process is up but a dependency is not: say so, for load balancers and operators.
      deps.logger.warn({ err }, 'health check: the database is not available');
      return c.json({ status: 'degraded', ...base, database: 'unavailable' }, 503);
    }
  });
  return app;
}
