import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../app.js';

/** The shared configuration repository's state: which commit is applied and what is wrong in it. */
export function configRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const status = () => {
    const snap = deps.repo.snapshot();
    return { commit: snap.commit, problems: snap.problems };
  };
  r.get('/', (c) => c.json(status()));
  r.post('/sync', async (c) => {
    await deps.repo.sync();
    return c.json(status());
  });
  return r;
}
