import { createHash } from 'node:crypto';
import { UnavailableError } from '../domain/errors.js';
import type { SealedValue } from '../config-repo/kinds/common.js';
import type { IntegrationEntry } from '../config-repo/snapshot.js';
import { openStoredSecret } from '../integrations/sealed-secrets.js';
import type { Redactor } from '../logging/redactor.js';
import type { KeyStore } from '../config-repo/keys.js';

/**
 * Opens a sealed secret as `runtime` would: with the runtime's own key, else (hosted runtimes, which run in
 * this process) with the control plane's. The value is returned only if it was sealed for this integration,
 * field and destinations (checked here again, at the point of use, whatever the snapshot said). The clear
 * value is registered with the redactor before use.
 */
export async function openForRuntime(
  deps: { keys: KeyStore; redactor: Redactor },
  entry: IntegrationEntry,
  runtime: string,
  value: SealedValue,
  reenterHint: string,
): Promise<string> {
  const { name, file } = entry;
  return openStoredSecret(value, {
    keys: [await deps.keys.get(runtime), await deps.keys.get('control-plane')],
    stored: { name, file, spec: entry.resource.spec },
    redactor: deps.redactor,
    reenterHint,
    notSealed: () =>
      new UnavailableError(
        `The secret of integration "${name}" is not sealed for runtime "${runtime}" or this control plane.`,
        { hints: [reenterHint] },
      ),
  });
}

/**
 * A fingerprint of stored settings, sealed secrets included: it changes when the secret or any setting
 * changes, so a cached client is rebuilt then, without unsealing on every report to find out.
 */
export function fingerprint(section: unknown): string {
  return createHash('sha256').update(JSON.stringify(section)).digest('hex');
}

/**
 * Clients per (integration, runtime), each tagged with the fingerprint it was built from; a changed
 * fingerprint replaces the entry, so the cache holds one client per pair and never an outdated one.
 */
export class ClientCache<C> {
  readonly #entries = new Map<string, { fp: string; client: Promise<C> }>();

  get(integration: string, runtime: string, fp: string, build: () => Promise<C>): Promise<C> {
    const key = `${integration}\u0000${runtime}`;
    const hit = this.#entries.get(key);
    if (hit && hit.fp === fp) return hit.client;
    const client = build();
    this.#entries.set(key, { fp, client });
    // A failed build (secret not sealed for this runtime) must not stick: the next report tries again.
    client.catch(() => {
      if (this.#entries.get(key)?.client === client) this.#entries.delete(key);
    });
    return client;
  }

  get size(): number {
    return this.#entries.size;
  }
}
