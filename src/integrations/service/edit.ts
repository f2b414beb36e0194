import { assertSectionEndpoints } from '../../config-repo/endpoints.js';
import type { IntegrationEntry } from '../../config-repo/snapshot.js';
import type { ConfigTx } from '../../config-repo/workspace.js';
import { ConflictError } from '../../domain/errors.js';
import { parseInput } from '../../domain/parse.js';
import { EditIntegrationInput } from '../input.js';
import { assertSameDestinations } from '../sealed-secrets.js';
import { handlerFor, sectionOf, type AnyIntegrationTypeHandler } from '../types/index.js';
import { audit, auditSecretUse } from './audit.js';
import { targets } from './availability.js';
import { entriesOf, primaryEntry, sharingOf, sharingText } from './entries.js';
import { openerOf, writePlacements } from './resource.js';
import { registerRawSecrets, registerSecrets, sectionInput } from './sections.js';
import { gateTest } from './test-runtime.js';
import type { Actor, IntegrationServiceDeps, MutationResult, OnCheck } from './types.js';
import { getView } from './views.js';

/**
 * Changes an integration: the patch names only what changes, an omitted secret keeps the stored one (only
 * for the destinations it was sealed for), the result is tested like a new one, and committed as one
 * commit that rewrites every placement (and removes placements no longer shared with).
 */
export async function editIntegration(
  deps: IntegrationServiceDeps,
  name: string,
  raw: unknown,
  actor: Actor,
  onCheck?: OnCheck,
): Promise<MutationResult> {
  registerRawSecrets(deps.redactor, raw);
  const input = parseInput(EditIntegrationInput, raw);
  let snap = deps.repo.snapshot();
  // Another replica may have added it a moment ago, before its notification arrived: pull, then decide.
  if (!snap.integrations.some((e) => e.name === name)) snap = await deps.repo.sync();
  const entries = entriesOf(snap, name);
  const h = handlerFor(primaryEntry(entries).resource.spec.type);
  const patch = sectionInput(h, h.patchInput, input, false);
  const sharing = input.sharing ?? sharingOf(entries);
  const { settings, reused } = await mergeEdit(deps, h, name, primaryEntry(entries), patch);
  registerSecrets(deps.redactor, h, settings);
  assertSectionEndpoints(h.section, settings, deps.endpoints);
  const shared = targets(snap, sharing, h, settings);

  const test = input.skipTest
    ? undefined
    : await gateTest(deps, name, snap, shared, h, settings, input.testRuntime, onCheck);

  const { commit } = await deps.repo.mutate(
    `integration: edit ${name} (${h.type}, ${h.modeOf(settings)}, ${sharingText(sharing)})`,
    (tx) => applyEdit(deps, tx, { name, input, h, patch, tested: settings }),
  );
  const mode = h.modeOf(settings);
  await audit(deps, actor, 'integration.edit', name, {
    type: h.type,
    sharing,
    mode,
    commit,
    skipTest: input.skipTest,
  });
  if (reused.length > 0) {
    await auditSecretUse(deps, actor, { use: 'edit-reseal', name, h, settings, fields: reused });
  }
  const integration = await getView(deps.repo, name);
  return { integration, commit, ...(test ? { test } : {}) };
}

/** The stored settings with the patch applied; a kept secret is opened only for its own destinations. */
async function mergeEdit(
  deps: IntegrationServiceDeps,
  h: AnyIntegrationTypeHandler,
  name: string,
  current: IntegrationEntry,
  patch: unknown,
): Promise<{ settings: unknown; reused: string[] }> {
  const opener = openerOf(deps, current);
  const settings = await h.merge(sectionOf(current.resource.spec), patch, opener.unseal);
  assertSameDestinations(h, name, sectionOf(current.resource.spec), settings, opener.reused);
  return { settings, reused: opener.reused };
}

interface EditPlan {
  name: string;
  input: EditIntegrationInput;
  h: AnyIntegrationTypeHandler;
  patch: unknown;
  /** The settings the connection test ran with (unless the test was skipped). */
  tested: unknown;
}

/**
 * Inside the change transaction: the patch is applied again to the state the commit is made on, so a
 * concurrent edit of other fields is kept. If the connection settings themselves moved underneath, what
 * was tested is no longer what would be committed: refuse rather than commit untested settings.
 */
async function applyEdit(deps: IntegrationServiceDeps, tx: ConfigTx, plan: EditPlan): Promise<void> {
  const { name, input, h } = plan;
  const fresh = deps.repo.snapshot();
  const freshEntries = entriesOf(fresh, name);
  const freshCurrent = primaryEntry(freshEntries);
  if (freshCurrent.resource.spec.type !== h.type) {
    throw new ConflictError(
      `Integration "${name}" became a ${freshCurrent.resource.spec.type} integration while it was being edited.`,
      { hints: ['Look at it again (imagetrail integration show) and repeat the edit.'] },
    );
  }
  const { settings } = await mergeEdit(deps, h, name, freshCurrent, plan.patch);
  if (!input.skipTest && JSON.stringify(settings) !== JSON.stringify(plan.tested)) {
    throw new ConflictError(`Integration "${name}" was changed by someone else while it was being tested.`, {
      hints: ['Run the edit again: it will be tested against the new state.'],
    });
  }
  const sharing = input.sharing ?? sharingOf(freshEntries);
  const description =
    input.description === null ? undefined : (input.description ?? freshCurrent.resource.spec.description);
  targets(fresh, sharing, h, settings); // the rules again, on the state being committed
  const keep = await writePlacements(tx, fresh, deps.pins, { name, description, h, settings }, sharing);
  for (const e of freshEntries) if (!keep.has(e.file)) await tx.remove(e.file);
}
