import { InternalError } from '../domain/errors.js';
import type { ConfigSnapshot, Placement } from '../config-repo/snapshot.js';
import type { Availability } from './availability.js';
import type { Runtime } from './types/handler.js';

/** Where sealing takes its recipients from: pins kept outside Git (`RecipientPins`), never the repository. */
export interface RecipientSource {
  controlPlane(): string | undefined;
  runtime(name: string): string | undefined;
}

/**
 * The control plane plus every runtime of the placement that can use the integration, each by its pinned
 * recipient. A runtime without a pin gets nothing: its `runtime.yaml` may have been written by anyone with
 * push access (config status says so).
 */
export function recipientsFor(
  snap: ConfigSnapshot,
  pins: RecipientSource,
  placement: Placement,
  availability: (runtime: Runtime) => Availability,
): string[] {
  const controlPlane = pins.controlPlane();
  if (!controlPlane) throw new InternalError('the control plane has no pinned recipient');
  const out = new Set([controlPlane]);
  const runtimes =
    placement.scope === 'all'
      ? [...snap.runtimes.values()]
      : [snap.runtimes.get(placement.runtime)].filter((r) => r !== undefined);
  for (const r of runtimes) {
    const pinned = pins.runtime(r.metadata.name);
    if (pinned && availability(r).available) out.add(pinned);
  }
  return [...out].sort();
}

/** Pins with some not yet stored (the first start's trust-on-first-use), read before they are persisted. */
export function overlayPins(base: RecipientSource, pending: ReadonlyMap<string, string>): RecipientSource {
  return {
    controlPlane: () => pending.get('control-plane') ?? base.controlPlane(),
    runtime: (name) => pending.get(`runtime/${name}`) ?? base.runtime(name),
  };
}
