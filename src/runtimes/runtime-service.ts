import { stringify } from 'yaml';
import * as z from 'zod';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { ResourceName } from '../domain/names.js';
import { parseInput } from '../domain/parse.js';
import { SemVer } from '../domain/semver.js';
import type { Logger } from '../logging/logger.js';
import { renderApplication } from '../config-repo/argo.js';
import { AgeRecipient, API_VERSION } from '../config-repo/kinds/common.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import { runtimeInClusterPath, runtimePath } from '../config-repo/layout.js';
import { resolveIntegration, type ConfigSnapshot } from '../config-repo/snapshot.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import { availabilityOfSpec } from '../integrations/availability.js';
import { handlerFor, sectionOf } from '../integrations/types/index.js';
import type { Actor, IntegrationService } from '../integrations/integration-service.js';
import { overlayPins } from '../integrations/recipients.js';
import { ensureBootstrap } from './bootstrap.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { RecipientPins } from './recipient-pins.js';
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
  /** Recipients pinned outside Git: `runtime add` sets the new runtime's, as an authenticated admin. */
  pins: RecipientPins;
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
    // Said before a key is generated for it (checked again in the commit, for a race).
    if (this.deps.repo.snapshot().runtimes.has(input.name)) throw exists(input.name);
    const generated = input.recipient ? undefined : await this.deps.keys.getOrCreate(input.name);
    const recipient = input.recipient ?? generated!.recipient;
    const { commit } = await this.deps.repo.mutate(
      `runtime: add ${input.name} (${input.type} ${input.version})`,
      async (tx) => {
        const snap = this.deps.repo.snapshot();
        if (snap.runtimes.has(input.name)) throw exists(input.name);
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
        const pending = new Map([[`runtime/${input.name}`, recipient]]);
        await this.deps.integrations.resealAll(tx, withRuntime, {
          pins: overlayPins(this.deps.pins, pending),
        });
      },
    );
    // Pinned once committed: from here on this key, not what Git says, is what secrets are sealed for.
    // The pin's audit event names a token; an SSO user has none (the runtime.add log line names them).
    await this.deps.pins.pinRuntime(input.name, recipient, 'admin', actor.sso ? null : actor.id);
    await this.deps.repo.sync();
    this.deps.logger.info({ actor: actor.name, runtime: input.name, commit }, 'runtime.add');
    return {
      runtime: this.get(input.name),
      commit,
      ...(generated ? { keyFile: this.deps.keys.runtimeKeyPath(input.name) } : {}),
    };
  }

  /** On start: pins and declares the control plane's and the in-process runtime's keys (`bootstrap.ts`). */
  ensureBootstrap(localRuntime: string | undefined, version: string): Promise<void> {
    return ensureBootstrap(this.deps, localRuntime, version);
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
      // The pinned key is the one secrets are sealed for; Git's copy may have been changed by anyone.
      recipient: this.deps.pins.runtime(name) ?? rt.spec.recipient,
      ...(rt.spec.description ? { description: rt.spec.description } : {}),
      inProcess: this.deps.executor.canExecute(rt).ok,
      integrations,
    };
  }
}

function exists(name: string): ConflictError {
  return new ConflictError(`A runtime named "${name}" already exists.`, {
    hints: [
      'Pick another name.',
      `For a new agent of it (a hybrid runtime), issue a registration token: imagetrail runtime token ${name}`,
    ],
  });
}
