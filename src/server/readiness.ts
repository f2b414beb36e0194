import { access } from 'node:fs/promises';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { ReadinessCheck } from './probes.js';

/** What /readyz checks on a running server: the store answers, the configuration is loaded, the runner runs. */
export function readinessChecks(deps: {
  reports: { counts(): Promise<unknown> };
  repo: Pick<ConfigRepo, 'snapshot' | 'root'>;
  runner: { readonly started: boolean };
}): Record<string, ReadinessCheck> {
  return {
    store: async () => {
      try {
        await deps.reports.counts();
      } catch {
        throw new Error('the database does not answer');
      }
    },
    configRepo: async () => {
      try {
        await access(deps.repo.root);
      } catch {
        throw new Error(`the configuration repository working tree ${deps.repo.root} is missing`);
      }
      if (deps.repo.snapshot().commit === null) throw new Error('the configuration repository is not loaded');
    },
    runner: () =>
      deps.runner.started ? Promise.resolve() : Promise.reject(new Error('the report runner is not running')),
  };
}
