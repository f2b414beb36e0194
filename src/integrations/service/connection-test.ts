import { assertSectionEndpoints } from '../../config-repo/endpoints.js';
import { InputError, InternalError } from '../../domain/errors.js';
import { parseInput } from '../../domain/parse.js';
import { resolveIntegration, type IntegrationEntry } from '../../config-repo/snapshot.js';
import { TestDraftInput } from '../input.js';
import { assertSameDestinations } from '../sealed-secrets.js';
import {
  handlerFor,
  INTEGRATION_TYPES,
  sectionOf,
  type AnyIntegrationTypeHandler,
  type IntegrationTestResult,
} from '../types/index.js';
import { auditSecretUse } from './audit.js';
import { runtimesUsing, targets } from './availability.js';
import { entriesOf, primaryEntry, runtimeNotFound } from './entries.js';
import { openerOf } from './resource.js';
import { registerRawSecrets, registerSecrets, sectionError, sectionInput, sectionValue } from './sections.js';
import { pickTestRuntime, testOn } from './test-runtime.js';
import type { Actor, IntegrationServiceDeps, OnCheck } from './types.js';

/** Tests a stored integration on one runtime it is available on (default: the local runtime). */
export async function testStored(
  deps: IntegrationServiceDeps,
  name: string,
  runtimeName: string | undefined,
  actor: Actor,
  onCheck?: OnCheck,
): Promise<IntegrationTestResult> {
  const snap = deps.repo.snapshot();
  entriesOf(snap, name);
  const candidates = runtimesUsing(snap, name);
  if (runtimeName && !snap.runtimes.has(runtimeName)) throw runtimeNotFound(runtimeName);
  const chosenName = pickTestRuntime(deps, candidates, runtimeName, name);
  const effective = resolveIntegration(snap, chosenName, name);
  if (!effective) throw new InternalError(`integration ${name} vanished while testing`);
  const runtime = snap.runtimes.get(chosenName)!;
  const h = handlerFor(effective.resource.spec.type);
  // A stored integration is its own settings with no edit: merging nothing unseals what the test needs.
  const opener = openerOf(deps, effective);
  const settings = await h.merge(sectionOf(effective.resource.spec), undefined, opener.unseal);
  assertSectionEndpoints(h.section, settings, deps.endpoints);
  await auditSecretUse(deps, actor, {
    use: 'test',
    name,
    h,
    settings,
    fields: opener.reused,
    runtime: chosenName,
  });
  return testOn(deps, h, name, settings, runtime, onCheck);
}

/** Tests settings that are not committed yet (the dashboard's "Test connection" before "Commit"). */
export async function testDraft(
  deps: IntegrationServiceDeps,
  raw: unknown,
  actor: Actor,
  onCheck?: OnCheck,
): Promise<IntegrationTestResult> {
  registerRawSecrets(deps.redactor, raw);
  const input = parseInput(TestDraftInput, raw);
  const snap = deps.repo.snapshot();
  const entries = input.name ? snap.integrations.filter((e) => e.name === input.name) : [];
  const stored = entries.length > 0 ? primaryEntry(entries) : undefined;
  const h = draftHandler(input, stored);
  const { settings, reused } = await draftSettings(deps, h, input, stored);
  registerSecrets(deps.redactor, h, settings);
  assertSectionEndpoints(h.section, settings, deps.endpoints);
  const sharing = input.sharing ?? { allRuntimes: true as const };
  const runtimeName = pickTestRuntime(
    deps,
    targets(snap, sharing, h, settings)
      .filter((t) => t.availability.available)
      .map((t) => t.runtime),
    input.runtime,
    input.name ?? 'the draft integration',
  );
  if (stored && reused.length > 0) {
    await auditSecretUse(deps, actor, {
      use: 'draft-test',
      name: stored.name,
      h,
      settings,
      fields: reused,
      runtime: runtimeName,
    });
  }
  return testOn(deps, h, input.name ?? 'draft', settings, snap.runtimes.get(runtimeName)!, onCheck);
}

/** The draft's type: said, or the section present, or the stored integration's. */
function draftHandler(
  input: TestDraftInput,
  stored: IntegrationEntry | undefined,
): AnyIntegrationTypeHandler {
  const present = INTEGRATION_TYPES.filter((t) => sectionValue(input, handlerFor(t).section) !== undefined);
  const type = input.type ?? present[0] ?? stored?.resource.spec.type;
  if (!type) {
    throw new InputError('Say what to test: a type and its settings (ecr, github or jira).', {
      details: [{ path: 'type', message: 'required' }],
    });
  }
  return handlerFor(type);
}

/** Complete settings from the draft, with a left-out secret taken from the stored integration. */
async function draftSettings(
  deps: IntegrationServiceDeps,
  h: AnyIntegrationTypeHandler,
  input: TestDraftInput,
  stored: IntegrationEntry | undefined,
): Promise<{ settings: unknown; reused: string[] }> {
  const draft = sectionInput(h, h.draftInput, input, true);
  const complete = h.createInput.safeParse(draft);
  if (complete.success) return { settings: complete.data, reused: [] };
  if (!stored || stored.resource.spec.type !== h.type) {
    throw sectionError(complete.error, h.section, 'to test the draft');
  }
  // Editing in the dashboard: secret fields are write-only, so an empty one means "keep the stored one" —
  // but only for the destinations it was sealed for: a new URL needs the secret typed in again.
  const opener = openerOf(deps, stored);
  const settings = await h.merge(sectionOf(stored.resource.spec), draft, opener.unseal);
  assertSameDestinations(h, stored.name, sectionOf(stored.resource.spec), settings, opener.reused);
  return { settings, reused: opener.reused };
}
