import { InternalError } from '../../domain/errors.js';
import { zodDetails } from '../../domain/parse.js';
import { API_VERSION } from '../../config-repo/kinds/common.js';
import { IntegrationV1alpha1 } from '../../config-repo/kinds/integration-v1alpha1.js';
import { integrationPath } from '../../config-repo/layout.js';
import type { ConfigSnapshot, IntegrationEntry, Placement } from '../../config-repo/snapshot.js';
import type { ConfigTx } from '../../config-repo/workspace.js';
import { recipientsFor, type RecipientSource } from '../recipients.js';
import { toYaml } from '../reseal.js';
import { sealFor, storedSecretOpener } from '../sealed-secrets.js';
import type { Sharing } from '../input.js';
import type { AnyIntegrationTypeHandler } from '../types/index.js';
import { placementsFor } from './entries.js';
import type { IntegrationServiceDeps } from './types.js';

/** What one integration resource is written from. */
export interface ResourceInput {
  name: string;
  description: string | undefined;
  h: AnyIntegrationTypeHandler;
  /** The settings with secrets in clear. */
  settings: unknown;
}

/**
 * The resource for one placement, its secrets sealed for the control plane and the runtimes of the
 * placement that can use it (by their pinned recipients), and checked as the next sync will check it.
 */
export async function buildResource(
  snap: ConfigSnapshot,
  pins: RecipientSource,
  r: ResourceInput,
  placement: Placement,
): Promise<IntegrationV1alpha1> {
  const { h, settings } = r;
  const recipients = recipientsFor(snap, pins, placement, (rt) => h.availability(settings, rt));
  const section = await h.build(settings, sealFor(h, r.name, settings, recipients));
  const resource = {
    apiVersion: API_VERSION,
    kind: 'Integration',
    metadata: { name: r.name },
    spec: { type: h.type, ...(r.description ? { description: r.description } : {}), [h.section]: section },
  };
  // Git is a boundary too: what is committed must be what the next sync accepts.
  const checked = IntegrationV1alpha1.safeParse(resource);
  if (!checked.success) {
    throw new InternalError(
      `the ${h.type} handler built an invalid resource: ${zodDetails(checked.error)
        .map((d) => `${d.path}: ${d.message}`)
        .join('; ')}`,
    );
  }
  return resource as IntegrationV1alpha1;
}

/** Writes one file per placement of `sharing`; returns the paths written. */
export async function writePlacements(
  tx: Pick<ConfigTx, 'write'>,
  snap: ConfigSnapshot,
  pins: RecipientSource,
  r: ResourceInput,
  sharing: Sharing,
): Promise<Set<string>> {
  const written = new Set<string>();
  for (const placement of placementsFor(sharing)) {
    const path = integrationPath(placement, r.name);
    written.add(path);
    await tx.write(path, toYaml(await buildResource(snap, pins, r, placement)));
  }
  return written;
}

/** Opens the stored secrets of one integration, only where they are bound to be used. */
export function openerOf(deps: Pick<IntegrationServiceDeps, 'keys' | 'redactor'>, e: IntegrationEntry) {
  return storedSecretOpener(deps, { name: e.name, file: e.file, spec: e.resource.spec });
}
