import { ConflictError, InputError } from '../domain/errors.js';
import type { SealedValue } from '../config-repo/kinds/common.js';
import type { IntegrationSpec } from '../config-repo/kinds/integration-v1alpha1.js';
import {
  bindingDifferences,
  openSealed,
  sealBound,
  type SealBinding,
} from '../config-repo/sealed-binding.js';
import type { Redactor } from '../logging/redactor.js';
import type { KeyPair, KeyStore } from '../config-repo/keys.js';
import type { AnyIntegrationTypeHandler } from './types/index.js';
import { handlerFor, sectionOf } from './types/index.js';

/**
 * The binding of one secret field: integration type and name, the field's path in the resource, and the
 * destinations the type's handler says the secret is sent to. `field` is the dot path within the section
 * (`token`, `auth.secretAccessKey`), as `sealedFields` and `Sealer` name it.
 */
export function bindingFor(
  h: AnyIntegrationTypeHandler,
  name: string,
  settings: unknown,
  field: string,
): SealBinding {
  return {
    kind: 'Integration',
    type: h.type,
    name,
    field: `spec.${h.section}.${field}`,
    destinations: h.destinations(settings),
  };
}

/** The expected binding of a stored sealed value, found by identity among the section's sealed fields. */
export function bindingOfStored(name: string, spec: IntegrationSpec, value: SealedValue): SealBinding {
  const h = handlerFor(spec.type);
  const section = sectionOf(spec);
  const field = h.sealedFields(section).find((f) => f.value === value);
  // A value that is not one of the section's own fields has no place it may be used.
  const path = field?.path ?? '(not a sealed field of this resource)';
  return bindingFor(h, name, section, path);
}

/** Seals `clear` for `recipients`, bound to the field and the settings it will be used with. */
export function sealFor(
  h: AnyIntegrationTypeHandler,
  name: string,
  settings: unknown,
  recipients: readonly string[],
) {
  return (clear: string, field: string): Promise<SealedValue> =>
    sealBound(clear, bindingFor(h, name, settings, field), recipients);
}

export interface OpenBoundOptions {
  identity: string;
  expected: SealBinding;
  redactor: Redactor;
  /** The file the value was read from, named in errors. */
  file?: string;
  /** The command that enters the secret again. */
  reenterHint: string;
  /** Accept a value sealed before bindings existed (only the one-time migration does). */
  allowUnbound?: boolean;
}

/**
 * Opens a sealed value and returns the secret only if it was sealed for exactly this place: same
 * integration, field and destinations. Otherwise nothing is returned, so nothing can be sent anywhere.
 */
export async function openBound(value: SealedValue, o: OpenBoundOptions): Promise<string> {
  const opened = await openSealed(value, o.identity, { redactor: o.redactor });
  const where = `${o.file ? `${o.file}: ` : ''}${o.expected.field}`;
  if (!opened.bound) {
    if (o.allowUnbound) return opened.value;
    throw new ConflictError(
      `${where} is sealed in the old unbound form, which is no longer accepted: it could have been copied here from elsewhere. It was not used and nothing was sent.`,
      { details: [{ path: o.expected.field, message: 'sealed without a binding' }], hints: [o.reenterHint] },
    );
  }
  const diff = bindingDifferences(opened.binding, o.expected);
  if (diff.length > 0) throw bindingRefused(where, o.expected.field, diff, o.reenterHint);
  return opened.value;
}

/** A stored integration as the openers need it. */
export interface StoredIntegration {
  name: string;
  /** The file it was read from, named in errors. */
  file?: string;
  spec: IntegrationSpec;
}

/**
 * Opens one of a stored integration's secrets with the first of `keys` it is sealed for (a runtime's own,
 * the control plane's), only if it is bound to this integration, field and destinations (`openBound`). The
 * clear value is registered with the redactor before it is returned. No fitting key: `notSealed()`.
 */
export async function openStoredSecret(
  value: SealedValue,
  o: {
    keys: ReadonlyArray<KeyPair | undefined>;
    stored: StoredIntegration;
    redactor: Redactor;
    reenterHint: string;
    notSealed: () => Error;
  },
): Promise<string> {
  const key = o.keys.find((k) => k && value.recipients.includes(k.recipient));
  if (!key) throw o.notSealed();
  const clear = await openBound(value, {
    identity: key.identity,
    expected: bindingOfStored(o.stored.name, o.stored.spec, value),
    redactor: o.redactor,
    ...(o.stored.file ? { file: o.stored.file } : {}),
    reenterHint: o.reenterHint,
  });
  o.redactor.register(clear);
  return clear;
}

export function bindingRefused(where: string, field: string, diff: string[], hint: string): ConflictError {
  return new ConflictError(
    `${where} was sealed for another place and is refused: it differs in ${diff.join('; ')}. It was not used and nothing was sent.`,
    { details: [{ path: field, message: `sealed for another place: ${diff.join('; ')}` }], hints: [hint] },
  );
}

/**
 * Re-using a stored secret is allowed only where it was bound to go: when an edit or a draft keeps a stored
 * secret but changes a URL, endpoint or region it is sent to, the secret must be entered again.
 */
export function assertSameDestinations(
  h: AnyIntegrationTypeHandler,
  name: string,
  stored: unknown,
  settings: unknown,
  reused: readonly string[],
): void {
  if (reused.length === 0) return;
  const before = h.destinations(stored);
  const after = h.destinations(settings);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changed = keys.filter((k) => before[k] !== after[k]);
  if (changed.length === 0) return;
  const fields = reused.join(', ');
  const what = changed.map((k) => `${h.section}.${k}`).join(', ');
  const message = `changing ${what} sends the stored secret to a new place: enter ${fields} again`;
  throw new InputError(`The stored secret is not re-used: ${message}.`, {
    details: reused.map((path) => ({ path, message })),
    hints: [h.reenterSecretHint(name)],
  });
}

/**
 * An unsealer for one stored integration, with the control plane's key: each value is opened only if it is
 * bound to this integration, field and destinations. `reused` lists the fields it opened (section paths),
 * so a caller can refuse sending them somewhere new and audit the use.
 */
export function storedSecretOpener(
  deps: { keys: KeyStore; redactor: Redactor },
  stored: StoredIntegration,
): { unseal: (value: SealedValue, field: string) => Promise<string>; reused: string[] } {
  const h = handlerFor(stored.spec.type);
  const reused: string[] = [];
  const unseal = async (value: SealedValue, field: string): Promise<string> => {
    const clear = await openStoredSecret(value, {
      keys: [await deps.keys.get('control-plane')],
      stored,
      redactor: deps.redactor,
      reenterHint: h.reenterSecretHint(stored.name),
      notSealed: () =>
        new ConflictError(
          `The secret of integration "${stored.name}" is not sealed for this control plane's key, so it cannot be read or re-sealed.`,
          { hints: [h.reenterSecretHint(stored.name)] },
        ),
    });
    reused.push(field);
    return clear;
  };
  return { unseal, reused };
}
