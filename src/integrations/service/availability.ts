import { InputError } from '../../domain/errors.js';
import { resolveIntegration, type ConfigSnapshot } from '../../config-repo/snapshot.js';
import { availabilityOfSpec, type Availability } from '../availability.js';
import type { Sharing } from '../input.js';
import type { AnyIntegrationTypeHandler, Runtime } from '../types/handler.js';
import { runtimeNotFound } from './entries.js';
import type { IntegrationView } from './types.js';

export interface Target {
  runtime: Runtime;
  availability: Availability;
}

/**
 * The runtimes an integration would be shared with, and whether each can use it. Naming a runtime that
 * cannot use the integration is refused (rules 2 and 3), with the handler's hints; sharing with all
 * runtimes is allowed and the runtimes that cannot use it are reported as unavailable with the reason.
 */
export function targets(
  snap: ConfigSnapshot,
  sharing: Sharing,
  h: AnyIntegrationTypeHandler,
  settings: unknown,
): Target[] {
  if ('allRuntimes' in sharing) {
    return [...snap.runtimes.values()].map((runtime) => ({
      runtime,
      availability: h.availability(settings, runtime),
    }));
  }
  const out: Target[] = [];
  const refusals: string[] = [];
  for (const name of new Set(sharing.runtimes)) {
    const runtime = snap.runtimes.get(name);
    if (!runtime) throw runtimeNotFound(name);
    const availability = h.availability(settings, runtime);
    if (!availability.available) refusals.push(availability.reason!);
    out.push({ runtime, availability });
  }
  if (refusals.length > 0) {
    throw new InputError(refusals.join(' '), {
      details: refusals.map((message) => ({ path: 'sharing.runtimes', message })),
      hints: h.refusalHints(settings),
    });
  }
  return out;
}

/** The runtimes that see the stored integration `name` (after precedence) and can use their copy. */
export function runtimesUsing(snap: ConfigSnapshot, name: string): Runtime[] {
  const out: Runtime[] = [];
  for (const rt of snap.runtimes.values()) {
    const eff = resolveIntegration(snap, rt.metadata.name, name);
    if (eff && availabilityOfSpec(eff.resource.spec, rt).available) out.push(rt);
  }
  return out;
}

/** Per runtime, by name, whether the copy it sees of `name` is usable and which placement it comes from. */
export function availabilityOf(snap: ConfigSnapshot, name: string): IntegrationView['availability'] {
  const out: IntegrationView['availability'] = [];
  const runtimes = [...snap.runtimes.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const rt of runtimes) {
    const eff = resolveIntegration(snap, rt.metadata.name, name);
    if (!eff) continue;
    out.push({
      ...availabilityOfSpec(eff.resource.spec, rt),
      source: eff.placement.scope === 'all' ? 'all-runtimes' : 'runtime',
    });
  }
  return out;
}
