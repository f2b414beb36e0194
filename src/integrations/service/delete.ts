import { parseInput } from '../../domain/parse.js';
import { DeleteIntegrationInput } from '../input.js';
import { audit } from './audit.js';
import { entriesOf } from './entries.js';
import type { Actor, IntegrationServiceDeps } from './types.js';

/** Removes every placement of an integration in one commit. */
export async function deleteIntegration(
  deps: IntegrationServiceDeps,
  name: string,
  raw: unknown,
  actor: Actor,
): Promise<{ commit: string | null; removed: string[] }> {
  parseInput(DeleteIntegrationInput, raw);
  entriesOf(deps.repo.snapshot(), name);
  const removed: string[] = [];
  const { commit } = await deps.repo.mutate(`integration: delete ${name}`, async (tx) => {
    // The resource and its sealed secrets are one file per placement: removing the files removes both.
    for (const e of entriesOf(deps.repo.snapshot(), name)) {
      await tx.remove(e.file);
      removed.push(e.file);
    }
  });
  await audit(deps, actor, 'integration.delete', name, { commit, removed });
  return { commit, removed };
}
