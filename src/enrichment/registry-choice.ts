import { InputError } from '../domain/errors.js';
import {
  integrationsForRuntime,
  resolveIntegration,
  type ConfigSnapshot,
  type IntegrationEntry,
} from '../config-repo/snapshot.js';
import { parseEcrHost } from '../integrations/registry/ecr/host.js';
import type { ImageReference } from '../integrations/registry/oci/reference.js';

/** Registry integrations a runtime can see (its own copy wins over the all-runtimes one), sorted by name. */
export function registryIntegrationsFor(snap: Pick<ConfigSnapshot, 'integrations'>, runtime: string) {
  return integrationsForRuntime(snap, runtime).filter((e) => e.resource.spec.type.startsWith('registry.'));
}

function existing(snap: Pick<ConfigSnapshot, 'integrations'>, runtime: string): string {
  const list = registryIntegrationsFor(snap, runtime).map((e) => `${e.name} (${e.resource.spec.type})`);
  return list.length
    ? `Registry integrations runtime "${runtime}" can use: ${list.join(', ')}.`
    : `Runtime "${runtime}" can use no registry integration yet.`;
}

/**
 * The registry integration a report is enriched with, checked against the image: named, or the only one
 * the runtime sees. Used at intake, so a typo or an image on a registry of another kind is refused with a
 * 400 while CI is still waiting (not a failed job found later), and again by the pipeline, since the shared
 * configuration can change between the two.
 */
export function chooseRegistryIntegration(
  snap: Pick<ConfigSnapshot, 'integrations'>,
  runtime: string,
  name: string | undefined,
  ref: Pick<ImageReference, 'registry' | 'original'>,
): IntegrationEntry {
  const hints = [existing(snap, runtime), `See them with: imagetrail runtime show ${runtime}`];
  let entry: IntegrationEntry | undefined;
  if (name !== undefined) {
    entry = resolveIntegration(snap, runtime, name);
    if (!entry) {
      throw new InputError(`Runtime "${runtime}" has no registry integration named "${name}".`, {
        details: [
          { path: 'registryIntegration', message: `no integration "${name}" on runtime "${runtime}"` },
        ],
        hints,
      });
    }
    if (!entry.resource.spec.type.startsWith('registry.')) {
      throw new InputError(
        `Integration "${name}" is of type ${entry.resource.spec.type}, not a registry integration.`,
        { details: [{ path: 'registryIntegration', message: 'not a registry integration' }], hints },
      );
    }
  } else {
    const visible = registryIntegrationsFor(snap, runtime);
    if (visible.length !== 1) {
      throw new InputError(
        visible.length === 0
          ? `Runtime "${runtime}" has no registry integration to look the image up with.`
          : `Name the registry integration to use (CF_CONTAINER_REGISTRY_INTEGRATION / --registry-integration): runtime "${runtime}" can use ${visible.map((e) => e.name).join(', ')}.`,
        { details: [{ path: 'registryIntegration', message: 'required' }], hints },
      );
    }
    entry = visible[0]!;
  }
  if (entry.resource.spec.type === 'registry.ecr' && !parseEcrHost(ref.registry)) {
    throw new InputError(
      `${ref.original} is not on an Amazon ECR registry (<account>.dkr.ecr.<region>.amazonaws.com), but integration "${entry.name}" on runtime "${runtime}" is of type registry.ecr.`,
      {
        details: [{ path: 'image', message: `${ref.registry} is not an ECR registry host` }],
        hints: [
          'Report the image by its ECR name, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.0.',
          ...hints,
        ],
      },
    );
  }
  return entry;
}
