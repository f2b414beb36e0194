import { stringify } from 'yaml';
import * as z from 'zod';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { ResourceName } from '../domain/names.js';
import { parseInput } from '../domain/parse.js';
import { SemVer } from '../domain/semver.js';
import type { Logger } from '../logging/logger.js';
import { renderApplication } from '../config-repo/argo.js';
import { writeClusterManifests } from '../config-repo/cluster-manifests.js';
import { AgeRecipient, API_VERSION } from '../config-repo/kinds/common.js';
import type { ControlPlaneV1alpha1 } from '../config-repo/kinds/control-plane-v1alpha1.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import { controlPlanePath, runtimeInClusterPath, runtimePath } from '../config-repo/layout.js';
import { resolveIntegration, type ConfigSnapshot } from '../config-repo/snapshot.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import { availabilityOfSpec } from '../integrations/availability.js';
import { handlerFor, sectionOf } from '../integrations/types/index.js';
import type { Actor, IntegrationService } from '../integrations/integration-service.js';
import type { KeyStore } from './keys.js';
import type { RuntimeExecutor } from './executor.js';

export const AddRuntimeInput = z
  .object({
    name: ResourceName,
    type: z.enum(['hybrid', 'hosted'], { error: 'type must be "hybrid" or "hosted"' }),
    version: SemVer,
    /** The runtime's own age public key. Without one, the control plane makes a key pair and keeps the
     * private half in its data directory for the operator to hand to the runtime. */
    recipient: AgeRecipient.optional(),
    description: z.string().max(500).optional(),
  })
  .strict();

export interface RuntimeView {
  name: string;
  type: 'hybrid' | 'hosted';
  version: string;
  recipient: string;
  description?: string;
  /** Whether this server runs the runtime's registry work in-process. */
  inProcess: boolean;
  integrations: Array<{
    name: string;
    type: string;
    mode: string;
    source: 'all-runtimes' | 'runtime';
    available: boolean;
    reason?: string;
  }>;
}

export interface RuntimeServiceDeps {
  repo: ConfigRepo;
  keys: KeyStore;
  executor: RuntimeExecutor;
  integrations: IntegrationService;
  logger: Logger;
}

export class RuntimeService {
  constructor(private readonly deps: RuntimeServiceDeps) {}

  list(): RuntimeView[] {
    const snap = this.deps.repo.snapshot();
    return [...snap.runtimes.keys()].sort().map((n) => this.view(snap, n));
  }

  get(name: string): RuntimeView {
    const snap = this.deps.repo.snapshot();
    if (!snap.runtimes.has(name)) {
      throw new NotFoundError(`No runtime named "${name}".`, {
        hints: ['See the runtimes with: imagetrail runtime list'],
      });
    }
    return this.view(snap, name);
  }

  async add(
    raw: unknown,
    actor: Actor,
  ): Promise<{ runtime: RuntimeView; commit: string | null; keyFile?: string }> {
    const input = parseInput(AddRuntimeInput, raw);
    const generated = input.recipient ? undefined : await this.deps.keys.getOrCreate(input.name);
    const recipient = input.recipient ?? generated!.recipient;
    const { commit } = await this.deps.repo.mutate(
      `runtime: add ${input.name} (${input.type} ${input.version})`,
      async (tx) => {
        const snap = this.deps.repo.snapshot();
        if (snap.runtimes.has(input.name)) {
          throw new ConflictError(`A runtime named "${input.name}" already exists.`, {
            hints: ['Pick another name.'],
          });
        }
        const runtime: RuntimeV1alpha1 = {
          apiVersion: API_VERSION,
          kind: 'Runtime',
          metadata: { name: input.name },
          spec: {
            type: input.type,
            version: input.version,
            recipient,
            ...(input.description ? { description: input.description } : {}),
          },
        };
        await tx.write(runtimePath(input.name), stringify(runtime));
        await tx.write(
          runtimeInClusterPath(input.name),
          renderApplication(this.deps.repo.inClusterApplication(input.name)),
        );
        // A runtime that joins can use the all-runtimes integrations at once: re-seal their secrets for it.
        const withRuntime: ConfigSnapshot = {
          ...snap,
          runtimes: new Map([...snap.runtimes, [input.name, runtime]]),
        };
        await this.deps.integrations.resealAll(tx, withRuntime);
      },
    );
    this.deps.logger.info({ actor: actor.name, runtime: input.name, commit }, 'runtime.add');
    return {
      runtime: this.get(input.name),
      commit,
      ...(generated ? { keyFile: this.deps.keys.runtimeKeyPath(input.name) } : {}),
    };
  }

  /**
   * On start: the control plane's recipient and the in-process runtime must be declared in the repo, with
   * the keys this data directory holds. Runs as one commit, and only when something is missing.
   */
  async ensureBootstrap(localRuntime: string, version: string): Promise<void> {
    const cp = await this.deps.keys.getOrCreate('control-plane');
    const local = await this.deps.keys.getOrCreate(localRuntime);
    const snap = this.deps.repo.snapshot();
    const needCp = snap.controlPlane?.spec.recipient !== cp.recipient;
    const existing = snap.runtimes.get(localRuntime);
    const needLocal =
      !existing ||
      existing.spec.recipient !== local.recipient ||
      existing.spec.version !== version ||
      existing.spec.type !== 'hybrid';
    if (!needCp && !needLocal) return;
    if (snap.controlPlane && needCp) {
      this.deps.logger.warn(
        'the repository names another control-plane key; secrets sealed for it cannot be re-sealed by this server until they are entered again',
      );
    }
    await this.deps.repo.mutate(
      `runtime: register control plane and in-process runtime ${localRuntime} ${version}`,
      async (tx) => {
        const fresh = this.deps.repo.snapshot();
        if (fresh.controlPlane?.spec.recipient !== cp.recipient) {
          const doc: ControlPlaneV1alpha1 = {
            apiVersion: API_VERSION,
            kind: 'ControlPlane',
            metadata: { name: 'control-plane' },
            spec: { recipient: cp.recipient },
          };
          await tx.write(controlPlanePath(), stringify(doc));
        }
        const rt: RuntimeV1alpha1 = {
          apiVersion: API_VERSION,
          kind: 'Runtime',
          metadata: { name: localRuntime },
          spec: {
            type: 'hybrid',
            version,
            recipient: local.recipient,
            description: 'runs in-process in imagetrail serve',
          },
        };
        await tx.write(runtimePath(localRuntime), stringify(rt));
        if (!(await tx.exists(runtimeInClusterPath(localRuntime)))) {
          await tx.write(
            runtimeInClusterPath(localRuntime),
            renderApplication(this.deps.repo.inClusterApplication(localRuntime)),
          );
        }
        const withRuntime: ConfigSnapshot = {
          ...fresh,
          controlPlane: {
            apiVersion: API_VERSION,
            kind: 'ControlPlane',
            metadata: { name: 'control-plane' },
            spec: { recipient: cp.recipient },
          },
          runtimes: new Map([...fresh.runtimes, [localRuntime, rt]]),
        };
        await this.deps.integrations.resealAll(tx, withRuntime);
        // A first start lands the CRDs in the same commit (one push instead of two).
        await writeClusterManifests(tx, this.deps.repo, withRuntime.runtimes.keys());
      },
    );
  }

  private view(snap: ConfigSnapshot, name: string): RuntimeView {
    const rt = snap.runtimes.get(name)!;
    const names = [...new Set(snap.integrations.map((e) => e.name))].sort();
    const integrations: RuntimeView['integrations'] = [];
    for (const n of names) {
      const eff = resolveIntegration(snap, name, n);
      if (!eff) continue;
      const spec = eff.resource.spec;
      const a = availabilityOfSpec(spec, rt);
      integrations.push({
        name: n,
        type: spec.type,
        mode: handlerFor(spec.type).modeOf(sectionOf(spec)),
        source: eff.placement.scope === 'all' ? 'all-runtimes' : 'runtime',
        available: a.available,
        ...(a.reason ? { reason: a.reason } : {}),
      });
    }
    return {
      name,
      type: rt.spec.type,
      version: rt.spec.version,
      recipient: rt.spec.recipient,
      ...(rt.spec.description ? { description: rt.spec.description } : {}),
      inProcess: this.deps.executor.canExecute(rt).ok,
      integrations,
    };
  }
}
