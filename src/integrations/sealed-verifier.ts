import { createHash } from 'node:crypto';
import { isAppError } from '../domain/errors.js';
import type { IntegrationV1alpha1 } from '../config-repo/kinds/integration-v1alpha1.js';
import type { SealedValue } from '../config-repo/kinds/common.js';
import { bindingDifferences, openSealed, type SealBinding } from '../config-repo/sealed-binding.js';
import type { Problem, Resource } from '../config-repo/validate.js';
import type { Redactor } from '../logging/redactor.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { RecipientSource } from './recipients.js';
import { bindingFor } from './sealed-secrets.js';
import { handlerFor, sectionOf } from './types/index.js';

export interface VerifierDeps {
  keys: KeyStore;
  redactor: Redactor;
  pins: RecipientSource & { readonly established: boolean };
}

type Check = { problems: Problem[]; reject: boolean };

/**
 * Checks each resource read from Git against what Git cannot vouch for: an integration's sealed values
 * must be bound to that integration, field and destinations (else the resource is not applied: nothing is
 * sent), and recipients in Git must equal the pinned ones (else they are reported and never sealed for).
 * Openings are cached by ciphertext and expected binding, so a periodic sync does not decrypt again.
 */
export function createSealedVerifier(deps: VerifierDeps) {
  const verdict = bindingVerdicts(deps.redactor);

  const integration = async (rel: string, r: IntegrationV1alpha1): Promise<Check> => {
    const key = await deps.keys.get('control-plane');
    const h = handlerFor(r.spec.type);
    const section = sectionOf(r.spec);
    const out: Check = { problems: [], reject: false };
    for (const f of h.sealedFields(section)) {
      // Sealed only for others: this control plane cannot check it; the runtime that opens it checks then.
      if (!key || !f.value.recipients.includes(key.recipient)) continue;
      const expected = bindingFor(h, r.metadata.name, section, f.path);
      const fix = h.reenterSecretHint(r.metadata.name);
      let v: string[] | 'unbound';
      try {
        v = await verdict(f.value, expected, key.identity);
      } catch (err) {
        if (!isAppError(err)) throw err;
        out.problems.push(problem(rel, expected.field, `${err.message}. ${fix}`));
        out.reject = true;
        continue;
      }
      if (v === 'unbound') {
        if (!deps.pins.established) {
          out.problems.push({
            file: rel,
            path: expected.field,
            severity: 'warning',
            message:
              'sealed in the old unbound form; it is re-sealed bound to this place when the server starts',
          });
          continue;
        }
        out.problems.push(
          problem(
            rel,
            expected.field,
            `sealed in the old unbound form, which is refused (it may have been copied here from elsewhere or from history); not applied, nothing is sent. ${fix}`,
          ),
        );
        out.reject = true;
      } else if (v.length > 0) {
        out.problems.push(
          problem(
            rel,
            expected.field,
            `sealed for another place, refused: it differs in ${v.join('; ')}. Not applied, nothing is sent. A changed URL or endpoint needs the secret entered again: ${fix}`,
          ),
        );
        out.reject = true;
      }
    }
    return out;
  };

  return async (rel: string, r: Resource): Promise<Check> => {
    if (r.kind === 'Integration') return integration(rel, r);
    if (r.kind === 'ControlPlane')
      return recipientCheck(
        rel,
        r.spec.recipient,
        deps.pins.controlPlane(),
        'the control plane',
        deps.pins.established,
      );
    if (r.kind === 'Runtime')
      return recipientCheck(
        rel,
        r.spec.recipient,
        deps.pins.runtime(r.metadata.name),
        `runtime "${r.metadata.name}"`,
        deps.pins.established,
      );
    return { problems: [], reject: false };
  };
}

/**
 * What differs between a sealed value's binding and the expected one ('unbound' for the old form), cached by
 * ciphertext and expected binding so that a periodic sync does not decrypt again.
 */
function bindingVerdicts(redactor: Redactor) {
  const cache = new Map<string, string[] | 'unbound'>();
  return async (value: SealedValue, expected: SealBinding, identity: string) => {
    const k = createHash('sha256').update(value.sealed).update(JSON.stringify(expected)).digest('hex');
    const hit = cache.get(k);
    if (hit) return hit;
    const opened = await openSealed(value, identity, { redactor });
    const v = opened.bound ? bindingDifferences(opened.binding, expected) : ('unbound' as const);
    if (cache.size > 10_000) cache.clear();
    cache.set(k, v);
    return v;
  };
}

/** A recipient in Git against its pin: reported when they differ, never used (sealing reads the pins). */
function recipientCheck(
  rel: string,
  inGit: string,
  pinned: string | undefined,
  what: string,
  established: boolean,
): Check {
  if (pinned === inGit) return { problems: [], reject: false };
  if (pinned === undefined) {
    if (!established) return { problems: [], reject: false };
    return {
      problems: [
        problem(
          rel,
          'spec.recipient',
          `${what} has no pinned recipient, so no secret is sealed for it. Register it through the API: imagetrail runtime add (or remove this file).`,
          'warning',
        ),
      ],
      reject: false,
    };
  }
  return {
    problems: [
      problem(
        rel,
        'spec.recipient',
        `does not match the recipient pinned for ${what} (${pinned}); the value in Git is ignored and nothing is sealed for it. Put back ${pinned}, or change the key through the API.`,
      ),
    ],
    reject: false,
  };
}

function problem(
  file: string,
  path: string,
  message: string,
  severity: 'error' | 'warning' = 'error',
): Problem {
  return { file, path, message, severity };
}
