import type { IntegrationV1alpha1 } from '../../src/config-repo/kinds/integration-v1alpha1.js';
import { emptySnapshot, type ConfigSnapshot } from '../../src/config-repo/snapshot.js';

/**
 * The least configuration a report's intake accepts: these runtimes, and one ECR integration `ecr` shared
 * with all of them (its settings are never read at intake).
 */
export function intakeSnapshot(runtimes: string[]): ConfigSnapshot {
  const registry = {
    apiVersion: 'imagetrail.io/v1alpha1',
    kind: 'Integration',
    metadata: { name: 'ecr' },
    spec: { type: 'registry.ecr' },
  } as unknown as IntegrationV1alpha1;
  return {
    ...emptySnapshot('c0ffee'),
    runtimes: new Map(runtimes.map((name) => [name, {} as never])),
    integrations: [
      { name: 'ecr', placement: { scope: 'all' }, file: 'integrations/ecr.yaml', resource: registry },
    ],
  };
}
