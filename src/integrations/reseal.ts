import { stringify } from 'yaml';
import { isAppError } from '../domain/errors.js';
import type { IntegrationV1alpha1 } from '../config-repo/kinds/integration-v1alpha1.js';
import { bindingDifferences, openSealed, sealBound } from '../config-repo/sealed-binding.js';
import type { ConfigSnapshot, IntegrationEntry } from '../config-repo/snapshot.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { KeyStore } from '../config-repo/keys.js';
import { recipientsFor, type RecipientSource } from './recipients.js';
import { bindingFor } from './sealed-secrets.js';
import { handlerFor, sectionOf } from './types/index.js';

export interface ResealDeps {
  keys: KeyStore;
  redactor: Redactor;
  logger: Pick<Logger, 'warn'>;
  pins: RecipientSource;
}

export interface ResealResult {
  changed: string[];
  /** Values left as they are because this control plane may not open them; config status says why. */
  skipped: Array<{ file: string; field: string; reason: string }>;
}

/**
 * Re-seals every integration's secrets for the pinned recipients of the runtimes that can use it now
 * (after a runtime joins). With `migrateUnbound` (the first start of a version with bindings, once), a
 * value sealed in the old unbound form is re-sealed bound to where it is. A value this control plane
 * cannot open, or that is bound to another place, is never re-sealed: that would launder a moved value.
 */
export async function resealAll(
  tx: { write(path: string, text: string): Promise<void> },
  snap: ConfigSnapshot,
  deps: ResealDeps,
  opts: { migrateUnbound?: boolean } = {},
): Promise<ResealResult> {
  const result: ResealResult = { changed: [], skipped: [] };
  const key = await deps.keys.get('control-plane');
  for (const entry of snap.integrations) {
    const resealed = await resealEntry(entry, snap, deps, key, opts.migrateUnbound === true, result);
    if (!resealed) continue;
    await tx.write(entry.file, toYaml(resealed));
    result.changed.push(entry.file);
  }
  for (const s of result.skipped) {
    deps.logger.warn({ file: s.file, path: s.field }, `not re-sealed: ${s.reason}`);
  }
  return result;
}

async function resealEntry(
  entry: IntegrationEntry,
  snap: ConfigSnapshot,
  deps: ResealDeps,
  key: { identity: string; recipient: string } | undefined,
  migrate: boolean,
  result: ResealResult,
): Promise<IntegrationV1alpha1 | undefined> {
  const h = handlerFor(entry.resource.spec.type);
  const section = sectionOf(entry.resource.spec);
  const recipients = recipientsFor(snap, deps.pins, entry.placement, (rt) => h.availability(section, rt));
  const copy: IntegrationV1alpha1 = structuredClone(entry.resource);
  const target = sectionOf(copy.spec) as Record<string, unknown>;
  let changed = false;
  for (const f of h.sealedFields(section)) {
    const sameRecipients = [...f.value.recipients].sort().join(',') === recipients.join(',');
    if (sameRecipients && !migrate) continue;
    const expected = bindingFor(h, entry.name, section, f.path);
    const skip = (reason: string) => result.skipped.push({ file: entry.file, field: expected.field, reason });
    if (!key || !f.value.recipients.includes(key.recipient)) {
      if (!sameRecipients) skip("not sealed for this control plane's key; enter the secret again");
      continue;
    }
    let opened;
    try {
      opened = await openSealed(f.value, key.identity, { redactor: deps.redactor });
    } catch (err) {
      if (!isAppError(err)) throw err;
      skip(err.message);
      continue;
    }
    if (opened.bound) {
      const diff = bindingDifferences(opened.binding, expected);
      if (diff.length > 0) {
        skip(`sealed for another place (${diff.join('; ')})`);
        continue;
      }
      if (sameRecipients) continue;
    } else if (!migrate) {
      skip('sealed in the old unbound form; enter the secret again');
      continue;
    }
    setAt(target, f.path, await sealBound(opened.value, expected, recipients));
    changed = true;
  }
  return changed ? copy : undefined;
}

/** Sets a dot path inside a plain object (a sealed field of a section). */
function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let cur: Record<string, unknown> = target;
  for (const k of keys) cur = cur[k] as Record<string, unknown>;
  cur[last] = value;
}

export function toYaml(resource: IntegrationV1alpha1): string {
  return (
    '# Managed by imagetrail. Secret values are sealed with age for the runtimes that use them and the control plane,\n' +
    '# each bound to this integration, field and destination; read one with `age -d -i KEY | jq -r .value`.\n' +
    '# Change this resource with `imagetrail integration edit` (hand edits are validated on sync).\n' +
    stringify(resource, { lineWidth: 0 })
  );
}
