import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import type { IntegrationSpec } from '../config-repo/kinds/integration-v1alpha1.js';
import { modeOf, type AnyIntegrationTypeDefinition } from './types/definition.js';
import { definitionOf } from './types/definitions.js';

export interface Availability {
  runtime: string;
  available: boolean;
  /** Why not, in words a user can act on. */
  reason?: string;
}

type Runtime = Pick<RuntimeV1alpha1, 'metadata' | 'spec'>;

/**
 * Whether one runtime can use settings of a type (stored, or as a caller sent them): the type definition's
 * runtime rule, which the dashboard checks with the same words before sending.
 */
export function availabilityFor(
  definition: AnyIntegrationTypeDefinition,
  settings: unknown,
  runtime: Runtime,
): Availability {
  const name = runtime.metadata.name;
  const reason = definition.runtimeRule(modeOf(definition, settings), {
    name,
    type: runtime.spec.type,
    version: runtime.spec.version,
  });
  return reason ? { runtime: name, available: false, reason } : { runtime: name, available: true };
}

/** Availability of a stored integration of any type on one runtime. */
export function availabilityOfSpec(spec: IntegrationSpec, runtime: Runtime): Availability {
  const definition = definitionOf(spec.type);
  // Every stored type has a definition: the Integration kind is made of them.
  if (!definition)
    return { runtime: runtime.metadata.name, available: false, reason: `unknown type ${spec.type}` };
  return availabilityFor(definition, (spec as Record<string, unknown>)[definition.section], runtime);
}
