import * as z from 'zod';
import type { Redactor } from '../logging/redactor.js';
import type { SealedValue } from './kinds/common.js';
import { seal, unseal } from './sealing.js';

/**
 * Where a sealed value may be used: the resource, the field, and every place the secret is sent to. It is
 * sealed together with the value (inside the age payload, so a Git writer can neither read nor change it
 * without the value), and compared with the resource being read before the value is used (ADR
 * "sealed values bound to their use").
 */
export const SealBinding = z
  .object({
    kind: z.literal('Integration'),
    /** Integration type, e.g. `git.github`. */
    type: z.string().min(1).max(100),
    /** metadata.name of the integration. */
    name: z.string().min(1).max(253),
    /** Dot path of the field in the resource, e.g. `spec.github.token`. */
    field: z.string().min(1).max(200),
    /** Every URL, endpoint or region the secret is sent to, by setting name (effective values). */
    destinations: z.record(z.string(), z.string()),
  })
  .strict();
export type SealBinding = z.infer<typeof SealBinding>;

/** The plaintext of a bound sealed value: readable by hand with `age -d … | jq -r .value`. */
export const SealedEnvelope = z.object({ v: z.literal(1), binding: SealBinding, value: z.string() }).strict();
export type SealedEnvelope = z.infer<typeof SealedEnvelope>;

/** What was inside a sealed value: bound (the current format) or a bare secret (before bindings). */
export type Opened = { bound: true; binding: SealBinding; value: string } | { bound: false; value: string };

/** Canonical JSON (sorted destination keys), so equal bindings always seal to the same plaintext shape. */
function canonical(b: SealBinding): SealBinding {
  const destinations = Object.fromEntries(
    Object.entries(b.destinations).sort(([a], [c]) => a.localeCompare(c)),
  );
  return { kind: b.kind, type: b.type, name: b.name, field: b.field, destinations };
}

/** Seals `value` for `recipients`, bound to `binding`. */
export function sealBound(
  value: string,
  binding: SealBinding,
  recipients: readonly string[],
): Promise<SealedValue> {
  const envelope: SealedEnvelope = { v: 1, binding: canonical(SealBinding.parse(binding)), value };
  return seal(JSON.stringify(envelope), recipients);
}

/**
 * Decrypts a sealed value and tells a bound envelope from a legacy bare secret. Only the secret itself is
 * registered with the redactor: the binding is not secret and is shown in errors.
 */
export async function openSealed(
  value: SealedValue,
  identity: string,
  options: { redactor?: Redactor } = {},
): Promise<Opened> {
  const plain = await unseal(value, identity);
  const envelope = parseEnvelope(plain);
  if (envelope) {
    options.redactor?.register(envelope.value);
    return { bound: true, binding: envelope.binding, value: envelope.value };
  }
  options.redactor?.register(plain);
  return { bound: false, value: plain };
}

function parseEnvelope(plain: string): SealedEnvelope | undefined {
  if (!plain.startsWith('{')) return undefined;
  try {
    const parsed = SealedEnvelope.safeParse(JSON.parse(plain));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The settings in which `actual` (sealed) differs from `expected` (the resource being read); [] when equal. */
export function bindingDifferences(actual: SealBinding, expected: SealBinding): string[] {
  const out: string[] = [];
  for (const k of ['kind', 'type', 'name', 'field'] as const) {
    if (actual[k] !== expected[k]) out.push(`${k} (sealed for "${actual[k]}", used as "${expected[k]}")`);
  }
  const keys = new Set([...Object.keys(actual.destinations), ...Object.keys(expected.destinations)]);
  for (const k of [...keys].sort()) {
    const a = actual.destinations[k];
    const e = expected.destinations[k];
    if (a !== e) out.push(`${k} (sealed for ${a ?? '(unset)'}, now ${e ?? '(unset)'})`);
  }
  return out;
}
