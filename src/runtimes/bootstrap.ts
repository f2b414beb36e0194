import { stringify } from 'yaml';
import type { Logger } from '../logging/logger.js';
import { API_VERSION } from '../config-repo/kinds/common.js';
import type { ControlPlaneV1alpha1 } from '../config-repo/kinds/control-plane-v1alpha1.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import { controlPlanePath, runtimeInClusterPath, runtimePath } from '../config-repo/layout.js';
import type { ConfigSnapshot } from '../config-repo/snapshot.js';
import type { ConfigRepo, ConfigTx } from '../config-repo/workspace.js';
import { renderApplication } from '../config-repo/argo.js';
import { writeClusterManifests } from '../config-repo/cluster-manifests.js';
import { InputError } from '../domain/errors.js';
import type { IntegrationService } from '../integrations/integration-service.js';
import { overlayPins } from '../integrations/recipients.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { RecipientPins } from './recipient-pins.js';

export interface BootstrapDeps {
  repo: ConfigRepo;
  keys: KeyStore;
  pins: RecipientPins;
  integrations: IntegrationService;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * On start: the control plane's and the in-process runtime's recipients are pinned from the keys this data
 * directory holds, and declared in the repository. At the first start of a version with pins (no control
 * plane pin yet), the other runtimes' recipients are pinned from Git as they are (trust on first use,
 * audited), and every sealed value still in the old unbound form is re-sealed bound to where it is — all
 * in one commit. Later, Git's recipients are only compared with the pins, never sealed for.
 * `localRuntime` undefined (--no-local-runtime): no in-process runtime, so no key, pin or file for one.
 */
export async function ensureBootstrap(
  deps: BootstrapDeps,
  localRuntime: string | undefined,
  version: string,
): Promise<void> {
  const cp = await deps.keys.getOrCreate('control-plane');
  const local = localRuntime === undefined ? undefined : await deps.keys.getOrCreate(localRuntime);
  const firstStart = !deps.pins.established;
  const snap = deps.repo.snapshot();
  const pending = new Map<string, string>();
  if (deps.pins.controlPlane() !== cp.recipient) pending.set('control-plane', cp.recipient);
  if (local && deps.pins.runtime(localRuntime!) !== local.recipient)
    pending.set(`runtime/${localRuntime}`, local.recipient);
  const trusted: string[] = [];
  if (firstStart) {
    for (const [name, rt] of snap.runtimes) {
      if (name === localRuntime || deps.pins.runtime(name)) continue;
      pending.set(`runtime/${name}`, rt.spec.recipient);
      trusted.push(name);
    }
  }
  const gitCp = snap.controlPlane?.spec.recipient;
  // The server owns control-plane.yaml only until it has pinned its key; after that a different value in
  // Git is a report (config status), not something to write over at every start.
  const needCp = gitCp === undefined || (firstStart && gitCp !== cp.recipient);
  const existing = localRuntime === undefined ? undefined : snap.runtimes.get(localRuntime);
  const needLocal =
    local !== undefined &&
    (!existing ||
      existing.spec.recipient !== local.recipient ||
      existing.spec.version !== version ||
      existing.spec.type !== 'hybrid');
  if (!needCp && gitCp !== cp.recipient) {
    deps.logger.warn(
      `${controlPlanePath()}: spec.recipient is not this control plane's pinned key (${cp.recipient}); it is ignored. Put the pinned value back (see imagetrail config status).`,
    );
  }
  if (needCp || needLocal || firstStart) {
    const subject = [
      ...(needCp || needLocal
        ? [`register control plane${local ? ` and in-process runtime ${localRuntime} ${version}` : ''}`]
        : []),
      ...(firstStart ? ['re-seal secrets bound to their integration, field and destinations'] : []),
    ].join('; ');
    await deps.repo.mutate(`runtime: ${subject}`, async (tx) => {
      const fresh = deps.repo.snapshot();
      const controlPlane: ControlPlaneV1alpha1 = {
        apiVersion: API_VERSION,
        kind: 'ControlPlane',
        metadata: { name: 'control-plane' },
        spec: { recipient: cp.recipient },
      };
      if (needCp) await tx.write(controlPlanePath(), stringify(controlPlane));
      const rt = local && localRuntimeResource(localRuntime!, version, local.recipient);
      const written = rt !== undefined && (await writeLocalRuntime(deps, tx, rt, needLocal));
      const withRuntime: ConfigSnapshot = {
        ...fresh,
        runtimes: written ? new Map([...fresh.runtimes, [localRuntime!, rt]]) : fresh.runtimes,
      };
      await deps.integrations.resealAll(tx, withRuntime, {
        migrateUnbound: firstStart,
        pins: overlayPins(deps.pins, pending),
      });
      // A first start lands the CRDs in the same commit (one push instead of two).
      await writeClusterManifests(tx, deps.repo, withRuntime.runtimes.keys());
    });
  }
  await persistPins(deps, pending, trusted);
  // Re-read with the pins in force, so what was only a warning before (unbound values left) is refused now.
  if (pending.size > 0) await deps.repo.sync();
}

async function persistPins(
  deps: BootstrapDeps,
  pending: Map<string, string>,
  trusted: string[],
): Promise<void> {
  for (const [owner, recipient] of pending) {
    if (owner === 'control-plane') continue;
    const name = owner.slice('runtime/'.length);
    await deps.pins.pinRuntime(name, recipient, trusted.includes(name) ? 'trust-on-first-use' : 'bootstrap');
  }
  // Last: the control plane's pin marks this deployment as migrated (bindings required from now on).
  const cp = pending.get('control-plane');
  if (cp) await deps.pins.pinControlPlane(cp, 'bootstrap');
}

/**
 * The in-process runtime's files. When the repository refuses them (its runtimes/ folder is a symlink,
 * which is never followed), the control plane is still registered and the server still starts:
 * `config status` names the bad entry.
 */
async function writeLocalRuntime(
  deps: BootstrapDeps,
  tx: ConfigTx,
  rt: RuntimeV1alpha1,
  needLocal: boolean,
): Promise<boolean> {
  const name = rt.metadata.name;
  try {
    if (needLocal) await tx.write(runtimePath(name), stringify(rt));
    if (!(await tx.exists(runtimeInClusterPath(name)))) {
      await tx.write(runtimeInClusterPath(name), renderApplication(deps.repo.inClusterApplication(name)));
    }
    return true;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    deps.logger.warn(`cannot register the in-process runtime ${name}: ${err.message}`);
    return false;
  }
}

function localRuntimeResource(name: string, version: string, recipient: string): RuntimeV1alpha1 {
  return {
    apiVersion: API_VERSION,
    kind: 'Runtime',
    metadata: { name },
    spec: { type: 'hybrid', version, recipient, description: 'runs in-process in imagetrail serve' },
  };
}
