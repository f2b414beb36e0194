import { Hono } from 'hono';
import type * as z from 'zod';
import type { ConfigStatus } from '../../contract/admin-answers.js';
import type { AppDeps, AppEnv } from '../app.js';
import { recordAudit } from './audit.js';

/** The shared configuration repository's state: which commit is applied and what is wrong in it. */
export function configRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const status = () => {
    const snap = deps.repo.snapshot();
    return { commit: snap.commit, problems: snap.problems } satisfies z.input<typeof ConfigStatus>;
  };
  r.get('/', (c) => c.json(status()));
  r.post('/sync', async (c) => {
    const before = deps.repo.snapshot().commit;
    await deps.repo.sync();
    const after = status();
    await recordAudit(deps.audit, c, 'config.sync', null, { from: before, to: after.commit });
    return c.json(after);
  });
  return r;
}
