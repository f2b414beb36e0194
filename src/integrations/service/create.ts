import { assertSectionEndpoints } from '../../config-repo/endpoints.js';
import { parseInput } from '../../domain/parse.js';
import { CreateIntegrationInput } from '../input.js';
import { handlerFor } from '../types/index.js';
import { audit } from './audit.js';
import { targets } from './availability.js';
import { assertNameFree, sharingText } from './entries.js';
import { writePlacements } from './resource.js';
import { registerRawSecrets, registerSecrets, sectionInput } from './sections.js';
import { gateTest } from './test-runtime.js';
import type { Actor, IntegrationServiceDeps, OnCheck } from './types.js';
import { getView } from './views.js';
import type { MutationResult } from './types.js';

/**
 * Adds an integration: validated by its type's handler, refused where a named runtime cannot use it,
 * tested on a runtime it is shared with (unless skipped), then one commit with one file per placement.
 */
export async function createIntegration(
  deps: IntegrationServiceDeps,
  raw: unknown,
  actor: Actor,
  onCheck?: OnCheck,
): Promise<MutationResult> {
  // Register secrets before validating, so even a validation message cannot carry one.
  registerRawSecrets(deps.redactor, raw);
  const input = parseInput(CreateIntegrationInput, raw);
  const h = handlerFor(input.type);
  const settings = sectionInput(h, h.createInput, input, true);
  registerSecrets(deps.redactor, h, settings);
  assertSectionEndpoints(h.section, settings, deps.endpoints);
  const mode = h.modeOf(settings);
  const snap = deps.repo.snapshot();
  assertNameFree(snap, input.name);
  const shared = targets(snap, input.sharing, h, settings);

  const test = input.skipTest
    ? undefined
    : await gateTest(deps, input.name, snap, shared, h, settings, input.testRuntime, onCheck);

  const { commit } = await deps.repo.mutate(
    `integration: add ${input.name} (${h.type}, ${mode}, ${sharingText(input.sharing)})`,
    async (tx) => {
      // Re-check against the state the commit will be made on: another writer may have got there first.
      const fresh = deps.repo.snapshot();
      assertNameFree(fresh, input.name);
      targets(fresh, input.sharing, h, settings); // the rules again, on the state being committed
      const resource = { name: input.name, description: input.description, h, settings };
      await writePlacements(tx, fresh, deps.pins, resource, input.sharing);
    },
  );
  await audit(deps, actor, 'integration.create', input.name, {
    type: h.type,
    sharing: input.sharing,
    mode,
    commit,
    skipTest: input.skipTest,
  });
  const integration = await getView(deps.repo, input.name);
  return { integration, commit, ...(test ? { test } : {}) };
}
