import { stringify } from 'yaml';
import type { z } from 'zod';
import {
  CheckFailedError,
  ConflictError,
  InputError,
  InternalError,
  NotFoundError,
} from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import type { Redactor } from '../logging/redactor.js';
import type { Logger } from '../logging/logger.js';
import { API_VERSION, type SealedValue } from '../config-repo/kinds/common.js';
import type { IntegrationV1alpha1, EcrSpec } from '../config-repo/kinds/integration-v1alpha1.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import { seal, unseal } from '../config-repo/sealing.js';
import { integrationPath } from '../config-repo/layout.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { ConfigSnapshot, IntegrationEntry } from '../config-repo/snapshot.js';
import { resolveIntegration } from '../config-repo/snapshot.js';
import type { KeyStore } from '../runtimes/keys.js';
import type { RuntimeExecutor } from '../runtimes/executor.js';
import type { EcrConnectionInput, EcrTestResult, ProbeCheck } from './registry/ecr/index.js';
import { availabilityOn, type Availability } from './availability.js';
import {
  CreateIntegrationInput,
  DeleteIntegrationInput,
  EditIntegrationInput,
  TestDraftInput,
  type EcrInput,
  type Sharing,
} from './input.js';

type Runtime = Pick<RuntimeV1alpha1, 'metadata' | 'spec'>;
type Placement = IntegrationEntry['placement'];
type AuthMode = EcrSpec['auth']['mode'];

export interface IntegrationView {
  name: string;
  type: 'registry.ecr';
  description?: string;
  ecr: {
    region: string;
    mode: AuthMode;
    roleArn?: string;
    externalId?: string;
    sessionName?: string;
    durationSeconds?: number;
    accessKeyId?: string;
    /** Write-only: the API says whether a secret is stored, never what it is. */
    secretAccessKey?: { set: boolean };
    endpoints?: { api?: string; sts?: string; registry?: string };
  };
  sharing: Sharing;
  placements: Array<{ scope: 'all' | 'runtime'; runtime?: string; file: string }>;
  availability: Array<Availability & { source?: 'all-runtimes' | 'runtime' }>;
  lastCommit?: { sha: string; subject: string; time: string };
  problems: Array<{ file: string; path: string; message: string; severity: string }>;
}

export interface MutationResult {
  integration: IntegrationView;
  commit: string | null;
  test?: EcrTestResult;
}

export interface Actor {
  id: string;
  name: string;
}

export interface IntegrationServiceDeps {
  repo: ConfigRepo;
  keys: KeyStore;
  executor: RuntimeExecutor;
  redactor: Redactor;
  logger: Logger;
  audit?: {
    record(event: {
      actorTokenId: string;
      action: string;
      target: string;
      detail?: Record<string, unknown>;
    }): Promise<unknown>;
  };
}

/**
 * Integrations as GitOps resources: every rule of the spec is checked here, the connection is tested on a
 * runtime the integration applies to before anything is written, secrets are sealed for exactly the
 * runtimes that can use them plus the control plane, and each change is one commit.
 */
export class IntegrationService {
  constructor(private readonly deps: IntegrationServiceDeps) {}

  list(): IntegrationView[] {
    const snap = this.deps.repo.snapshot();
    const names = [...new Set(snap.integrations.map((e) => e.name))].sort();
    return names.map((n) => this.view(snap, n));
  }

  async listWithCommits(): Promise<IntegrationView[]> {
    const views = this.list();
    await Promise.all(views.map((v) => this.addLastCommit(v)));
    return views;
  }

  async get(name: string): Promise<IntegrationView> {
    const snap = this.deps.repo.snapshot();
    if (!snap.integrations.some((e) => e.name === name)) throw this.notFound(name);
    const v = this.view(snap, name);
    await this.addLastCommit(v);
    return v;
  }

  async create(raw: unknown, actor: Actor, onCheck?: (c: ProbeCheck) => void): Promise<MutationResult> {
    const input = parseInput(CreateIntegrationInput, raw);
    this.registerSecrets(input.ecr);
    const mode = input.ecr.auth.mode;
    const snap = this.deps.repo.snapshot();
    this.assertNameFree(snap, input.name);
    const targets = this.targets(snap, input.sharing, mode);

    const test = input.skipTest
      ? undefined
      : await this.runTest(snap, targets, toConnectionInput(input.ecr), input.testRuntime, onCheck);

    const { commit } = await this.deps.repo.mutate(
      `integration: add ${input.name} (registry.ecr, ${input.ecr.auth.mode}, ${sharingText(input.sharing)})`,
      async (tx) => {
        // Re-check against the state the commit will be made on: another writer may have got there first.
        const fresh = this.deps.repo.snapshot();
        this.assertNameFree(fresh, input.name);
        this.targets(fresh, input.sharing, mode); // the rules again, on the state being committed
        for (const placement of placementsFor(input.sharing)) {
          const resource = await this.buildResource(
            fresh,
            input.name,
            input.description,
            input.ecr,
            placement,
          );
          await tx.write(integrationPath(placement, input.name), toYaml(resource));
        }
      },
    );
    await this.audit(actor, 'integration.create', input.name, {
      sharing: input.sharing,
      mode,
      commit,
      skipTest: input.skipTest,
    });
    const integration = await this.get(input.name);
    return { integration, commit, ...(test ? { test } : {}) };
  }

  async edit(
    name: string,
    raw: unknown,
    actor: Actor,
    onCheck?: (c: ProbeCheck) => void,
  ): Promise<MutationResult> {
    const input = parseInput(EditIntegrationInput, raw);
    const snap = this.deps.repo.snapshot();
    const entries = snap.integrations.filter((e) => e.name === name);
    if (entries.length === 0) throw this.notFound(name);
    const current = primaryEntry(entries);
    const sharing = input.sharing ?? sharingOf(entries);
    const ecr = await this.mergeEcr(current, input.ecr);
    this.registerSecrets(ecr);
    const targets = this.targets(snap, sharing, ecr.auth.mode);

    const test = input.skipTest
      ? undefined
      : await this.runTest(snap, targets, toConnectionInput(ecr), input.testRuntime, onCheck);

    const { commit } = await this.deps.repo.mutate(
      `integration: edit ${name} (registry.ecr, ${ecr.auth.mode}, ${sharingText(sharing)})`,
      async (tx) => {
        // The patch is applied again to the state the commit is made on, so a concurrent edit of other
        // fields is kept. If the connection settings themselves moved underneath, what was tested is no
        // longer what would be committed: refuse rather than commit untested settings.
        const fresh = this.deps.repo.snapshot();
        const freshEntries = fresh.integrations.filter((e) => e.name === name);
        if (freshEntries.length === 0) throw this.notFound(name);
        const freshCurrent = primaryEntry(freshEntries);
        const freshEcr = await this.mergeEcr(freshCurrent, input.ecr);
        if (!input.skipTest && JSON.stringify(freshEcr) !== JSON.stringify(ecr)) {
          throw new ConflictError(
            `Integration "${name}" was changed by someone else while it was being tested.`,
            {
              hints: ['Run the edit again: it will be tested against the new state.'],
            },
          );
        }
        const freshSharing = input.sharing ?? sharingOf(freshEntries);
        const freshDescription =
          input.description === null
            ? undefined
            : (input.description ?? freshCurrent.resource.spec.description);
        this.targets(fresh, freshSharing, freshEcr.auth.mode); // the rules again, on the state being committed
        const keep = new Set<string>();
        for (const placement of placementsFor(freshSharing)) {
          const path = integrationPath(placement, name);
          keep.add(path);
          const resource = await this.buildResource(fresh, name, freshDescription, freshEcr, placement);
          await tx.write(path, toYaml(resource));
        }
        for (const e of freshEntries) if (!keep.has(e.file)) await tx.remove(e.file);
      },
    );
    await this.audit(actor, 'integration.edit', name, {
      sharing,
      mode: ecr.auth.mode,
      commit,
      skipTest: input.skipTest,
    });
    const integration = await this.get(name);
    return { integration, commit, ...(test ? { test } : {}) };
  }

  async delete(
    name: string,
    raw: unknown,
    actor: Actor,
  ): Promise<{ commit: string | null; removed: string[] }> {
    parseInput(DeleteIntegrationInput, raw);
    const snap = this.deps.repo.snapshot();
    if (!snap.integrations.some((e) => e.name === name)) throw this.notFound(name);
    const removed: string[] = [];
    const { commit } = await this.deps.repo.mutate(`integration: delete ${name}`, async (tx) => {
      const fresh = this.deps.repo.snapshot();
      const entries = fresh.integrations.filter((e) => e.name === name);
      if (entries.length === 0) throw this.notFound(name);
      // The resource and its sealed secrets are one file per placement: removing the files removes both.
      for (const e of entries) {
        await tx.remove(e.file);
        removed.push(e.file);
      }
    });
    await this.audit(actor, 'integration.delete', name, { commit, removed });
    return { commit, removed };
  }

  /** Tests a stored integration on one runtime it is available on (default: the local runtime). */
  async test(
    name: string,
    runtimeName: string | undefined,
    onCheck?: (c: ProbeCheck) => void,
  ): Promise<EcrTestResult> {
    const snap = this.deps.repo.snapshot();
    const entries = snap.integrations.filter((e) => e.name === name);
    if (entries.length === 0) throw this.notFound(name);
    const candidates: Runtime[] = [];
    for (const rt of snap.runtimes.values()) {
      const eff = resolveIntegration(snap, rt.metadata.name, name);
      if (eff && availabilityOn(eff.resource.spec.ecr.auth.mode, rt).available) candidates.push(rt);
    }
    if (runtimeName && !snap.runtimes.has(runtimeName)) throw this.runtimeNotFound(runtimeName);
    const chosenName = this.pickTestRuntime(candidates, runtimeName, name);
    const effective = resolveIntegration(snap, chosenName, name);
    if (!effective) throw new InternalError(`integration ${name} vanished while testing`);
    const runtime = snap.runtimes.get(chosenName)!;
    const input = await this.connectionInputFromResource(effective.resource);
    return this.deps.executor.testEcr(runtime, input, onCheck);
  }

  /** Tests settings that are not committed yet (the dashboard's "Test connection" before "Commit"). */
  async testDraft(raw: unknown, onCheck?: (c: ProbeCheck) => void): Promise<EcrTestResult> {
    const input = parseInput(TestDraftInput, raw);
    const snap = this.deps.repo.snapshot();
    let ecr: EcrInput;
    if (input.ecr.auth.mode === 'accessKey' && input.ecr.auth.secretAccessKey === undefined) {
      // Editing in the dashboard: the secret field is write-only, so an empty one means "keep the stored one".
      const entries = input.name ? snap.integrations.filter((e) => e.name === input.name) : [];
      if (entries.length === 0) {
        throw new InputError('ecr.auth.secretAccessKey is required to test an access key integration', {
          details: [{ path: 'ecr.auth.secretAccessKey', message: 'required' }],
        });
      }
      ecr = await this.mergeEcr(primaryEntry(entries), { ...input.ecr, auth: input.ecr.auth });
    } else {
      ecr = input.ecr as EcrInput;
    }
    this.registerSecrets(ecr);
    const sharing = input.sharing ?? { allRuntimes: true as const };
    const targets = this.targets(snap, sharing, ecr.auth.mode);
    const runtimeName = this.pickTestRuntime(
      targets.filter((t) => t.availability.available).map((t) => t.runtime),
      input.runtime,
      input.name ?? 'the draft integration',
    );
    return this.deps.executor.testEcr(snap.runtimes.get(runtimeName)!, toConnectionInput(ecr), onCheck);
  }

  /** Re-seals every integration's secrets for the runtimes that can use it now (after a runtime joins). */
  async resealAll(
    tx: { write(path: string, text: string): Promise<void> },
    snap: ConfigSnapshot,
  ): Promise<string[]> {
    const changed: string[] = [];
    for (const entry of snap.integrations) {
      const auth = entry.resource.spec.ecr.auth;
      if (auth.mode !== 'accessKey') continue;
      const recipients = this.recipientsFor(snap, entry.placement, auth.mode);
      const have = [...auth.secretAccessKey.recipients].sort().join(',');
      if (have === recipients.join(',')) continue;
      const clear = await this.unsealWithControlPlane(auth.secretAccessKey, entry.name);
      const resealed: IntegrationV1alpha1 = structuredClone(entry.resource);
      const newAuth = resealed.spec.ecr.auth;
      if (newAuth.mode === 'accessKey') newAuth.secretAccessKey = await seal(clear, recipients);
      await tx.write(entry.file, toYaml(resealed));
      changed.push(entry.file);
    }
    return changed;
  }

  // ---- rules ----------------------------------------------------------------------------------

  /**
   * The runtimes an integration would be shared with, and whether each can use it. Naming a runtime that
   * cannot use the integration is refused (rules 2 and 3); sharing with all runtimes is allowed and the
   * runtimes that cannot use it are reported as unavailable with the reason.
   */
  private targets(
    snap: ConfigSnapshot,
    sharing: Sharing,
    mode: AuthMode,
  ): Array<{ runtime: Runtime; availability: Availability }> {
    if ('allRuntimes' in sharing) {
      return [...snap.runtimes.values()].map((runtime) => ({
        runtime,
        availability: availabilityOn(mode, runtime),
      }));
    }
    const out: Array<{ runtime: Runtime; availability: Availability }> = [];
    const refusals: string[] = [];
    for (const name of new Set(sharing.runtimes)) {
      const runtime = snap.runtimes.get(name);
      if (!runtime) throw this.runtimeNotFound(name);
      const availability = availabilityOn(mode, runtime);
      if (!availability.available) refusals.push(availability.reason!);
      out.push({ runtime, availability });
    }
    if (refusals.length > 0) {
      throw new InputError(refusals.join(' '), {
        details: refusals.map((message) => ({ path: 'sharing.runtimes', message })),
        hints:
          mode === 'iamRole'
            ? [
                'Share the integration with hybrid runtimes only, or switch to access-key mode (--access-key-id).',
              ]
            : ['Upgrade the runtime to 0.1.27 or later, or use an IAM role (--role-arn).'],
      });
    }
    return out;
  }

  private pickTestRuntime(candidates: Runtime[], requested: string | undefined, what: string): string {
    const executable = candidates.filter((r) => this.deps.executor.canExecute(r).ok);
    if (requested) {
      const r = candidates.find((c) => c.metadata.name === requested);
      if (!r) {
        throw new InputError(
          `Runtime "${requested}" cannot run the test: ${what} is not shared with it or is not available on it.`,
          { hints: [`Pick one of: ${candidates.map((c) => c.metadata.name).join(', ') || '(none)'}`] },
        );
      }
      const can = this.deps.executor.canExecute(r);
      if (!can.ok) throw this.cannotTest(can.reason);
      return requested;
    }
    const local = executable.find((r) => r.metadata.name === this.deps.executor.localRuntime);
    const chosen = local ?? executable[0];
    if (!chosen) {
      throw this.cannotTest(
        candidates.length === 0
          ? `no runtime can use ${what}: it is shared with no runtime on which it is available`
          : `none of the runtimes that can use ${what} (${candidates.map((c) => c.metadata.name).join(', ')}) runs in this server`,
      );
    }
    return chosen.metadata.name;
  }

  private cannotTest(reason: string): CheckFailedError {
    const result = {
      ok: false,
      checks: [{ name: 'runtime', ok: false, message: `Cannot test: ${reason}.` }],
    };
    return new CheckFailedError(`Connection test could not run: ${reason}. Nothing was committed.`, result, {
      hints: [
        'Share the integration with a runtime this server runs (e.g. "local"), or pass --skip-test to commit without testing.',
      ],
    });
  }

  private async runTest(
    snap: ConfigSnapshot,
    targets: Array<{ runtime: Runtime; availability: Availability }>,
    input: EcrConnectionInput,
    requested: string | undefined,
    onCheck?: (c: ProbeCheck) => void,
  ): Promise<EcrTestResult> {
    if (requested && !snap.runtimes.has(requested)) throw this.runtimeNotFound(requested);
    const available = targets.filter((t) => t.availability.available).map((t) => t.runtime);
    const runtimeName = this.pickTestRuntime(available, requested, 'the integration');
    const result = await this.deps.executor.testEcr(snap.runtimes.get(runtimeName)!, input, onCheck);
    if (!result.ok) {
      const failed = result.checks.filter((c) => !c.ok && !c.skipped);
      const first = failed[0];
      throw new CheckFailedError(
        `Connection test failed on runtime "${runtimeName}"${first ? `: ${first.message}` : ''}. Nothing was committed.`,
        result,
        {
          hints: [
            ...(first?.hints ?? []),
            'Fix the settings and try again, or pass --skip-test to commit without testing.',
          ],
        },
      );
    }
    return result;
  }

  // ---- resources ------------------------------------------------------------------------------

  private recipientsFor(snap: ConfigSnapshot, placement: Placement, mode: AuthMode): string[] {
    const controlPlane = snap.controlPlane?.spec.recipient;
    if (!controlPlane)
      throw new InternalError('the shared configuration repository has no control-plane recipient');
    const out = new Set([controlPlane]);
    const runtimes =
      placement.scope === 'all'
        ? [...snap.runtimes.values()]
        : [snap.runtimes.get(placement.runtime)].filter((r): r is RuntimeV1alpha1 => r !== undefined);
    for (const r of runtimes) if (availabilityOn(mode, r).available) out.add(r.spec.recipient);
    return [...out].sort();
  }

  private async buildResource(
    snap: ConfigSnapshot,
    name: string,
    description: string | undefined,
    ecr: EcrInput,
    placement: Placement,
  ): Promise<IntegrationV1alpha1> {
    const auth: EcrSpec['auth'] =
      ecr.auth.mode === 'accessKey'
        ? {
            mode: 'accessKey',
            accessKeyId: ecr.auth.accessKeyId,
            secretAccessKey: await seal(
              ecr.auth.secretAccessKey,
              this.recipientsFor(snap, placement, 'accessKey'),
            ),
          }
        : dropUndefined({
            mode: 'iamRole' as const,
            roleArn: ecr.auth.roleArn,
            externalId: ecr.auth.externalId,
            sessionName: ecr.auth.sessionName,
            durationSeconds: ecr.auth.durationSeconds,
          });
    const endpoints =
      ecr.endpoints && Object.keys(dropUndefined(ecr.endpoints)).length > 0
        ? dropUndefined(ecr.endpoints)
        : undefined;
    return {
      apiVersion: API_VERSION,
      kind: 'Integration',
      metadata: { name },
      spec: {
        type: 'registry.ecr',
        ...(description ? { description } : {}),
        ecr: { region: ecr.region, auth, ...(endpoints ? { endpoints } : {}) },
      },
    };
  }

  /** Applies an edit to a stored resource; the stored secret is unsealed only when it must be kept. */
  private async mergeEcr(
    current: IntegrationEntry,
    patch: z.infer<typeof EditIntegrationInput>['ecr'],
  ): Promise<EcrInput> {
    const cur = current.resource.spec.ecr;
    const region = patch?.region ?? cur.region;
    const endpoints =
      patch?.endpoints === null
        ? undefined
        : patch?.endpoints !== undefined
          ? patch.endpoints
          : cur.endpoints;
    const p = patch?.auth;
    let auth: EcrInput['auth'];
    if (!p || p.mode === cur.auth.mode) {
      if (cur.auth.mode === 'iamRole') {
        const q = p?.mode === 'iamRole' ? p : undefined;
        auth = dropUndefined({
          mode: 'iamRole' as const,
          roleArn: q?.roleArn ?? cur.auth.roleArn,
          externalId: q && 'externalId' in q ? q.externalId : cur.auth.externalId,
          sessionName: q?.sessionName ?? cur.auth.sessionName,
          durationSeconds: q?.durationSeconds ?? cur.auth.durationSeconds,
        });
      } else {
        const q = p?.mode === 'accessKey' ? p : undefined;
        auth = {
          mode: 'accessKey',
          accessKeyId: q?.accessKeyId ?? cur.auth.accessKeyId,
          secretAccessKey:
            q?.secretAccessKey ?? (await this.unsealWithControlPlane(cur.auth.secretAccessKey, current.name)),
        };
      }
    } else if (p.mode === 'iamRole') {
      if (!p.roleArn)
        throw missing('ecr.auth.roleArn', 'switching to IAM role mode needs the role ARN (--role-arn)');
      auth = dropUndefined({ ...p, roleArn: p.roleArn });
    } else {
      if (!p.accessKeyId)
        throw missing('ecr.auth.accessKeyId', 'switching to access key mode needs --access-key-id');
      if (!p.secretAccessKey)
        throw missing('ecr.auth.secretAccessKey', 'switching to access key mode needs the secret access key');
      auth = { mode: 'accessKey', accessKeyId: p.accessKeyId, secretAccessKey: p.secretAccessKey };
    }
    return { region, auth, ...(endpoints ? { endpoints } : {}) };
  }

  private async connectionInputFromResource(resource: IntegrationV1alpha1): Promise<EcrConnectionInput> {
    const e = resource.spec.ecr;
    const auth: EcrInput['auth'] =
      e.auth.mode === 'accessKey'
        ? {
            mode: 'accessKey',
            accessKeyId: e.auth.accessKeyId,
            secretAccessKey: await this.unsealWithControlPlane(
              e.auth.secretAccessKey,
              resource.metadata.name,
            ),
          }
        : e.auth;
    return toConnectionInput({ region: e.region, auth, ...(e.endpoints ? { endpoints: e.endpoints } : {}) });
  }

  private async unsealWithControlPlane(value: SealedValue, name: string): Promise<string> {
    const key = await this.deps.keys.get('control-plane');
    if (!key || !value.recipients.includes(key.recipient)) {
      throw new ConflictError(
        `The secret of integration "${name}" is not sealed for this control plane's key, so it cannot be read or re-sealed.`,
        { hints: [`Enter the secret again: imagetrail integration edit ${name} --secret-access-key-stdin`] },
      );
    }
    const clear = await unseal(value, key.identity);
    this.deps.redactor.register(clear);
    return clear;
  }

  private registerSecrets(ecr: { auth: { mode: string; secretAccessKey?: unknown } }): void {
    if (ecr.auth.mode === 'accessKey' && typeof ecr.auth.secretAccessKey === 'string') {
      this.deps.redactor.register(ecr.auth.secretAccessKey);
    }
  }

  // ---- views ----------------------------------------------------------------------------------

  private view(snap: ConfigSnapshot, name: string): IntegrationView {
    const entries = snap.integrations.filter((e) => e.name === name);
    const primary = primaryEntry(entries);
    const e = primary.resource.spec.ecr;
    const availability: IntegrationView['availability'] = [];
    for (const rt of [...snap.runtimes.values()].sort((a, b) =>
      a.metadata.name.localeCompare(b.metadata.name),
    )) {
      const eff = resolveIntegration(snap, rt.metadata.name, name);
      if (!eff) continue;
      availability.push({
        ...availabilityOn(eff.resource.spec.ecr.auth.mode, rt),
        source: eff.placement.scope === 'all' ? 'all-runtimes' : 'runtime',
      });
    }
    const files = new Set(entries.map((x) => x.file));
    return {
      name,
      type: 'registry.ecr',
      ...(primary.resource.spec.description ? { description: primary.resource.spec.description } : {}),
      ecr: dropUndefined({
        region: e.region,
        mode: e.auth.mode,
        roleArn: e.auth.mode === 'iamRole' ? e.auth.roleArn : undefined,
        externalId: e.auth.mode === 'iamRole' ? e.auth.externalId : undefined,
        sessionName: e.auth.mode === 'iamRole' ? e.auth.sessionName : undefined,
        durationSeconds: e.auth.mode === 'iamRole' ? e.auth.durationSeconds : undefined,
        accessKeyId: e.auth.mode === 'accessKey' ? e.auth.accessKeyId : undefined,
        secretAccessKey: e.auth.mode === 'accessKey' ? { set: true } : undefined,
        endpoints: e.endpoints,
      }),
      sharing: sharingOf(entries),
      placements: entries.map((x) =>
        x.placement.scope === 'all'
          ? { scope: 'all' as const, file: x.file }
          : { scope: 'runtime' as const, runtime: x.placement.runtime, file: x.file },
      ),
      availability,
      problems: snap.problems.filter((p) => files.has(p.file)),
    };
  }

  private async addLastCommit(v: IntegrationView): Promise<void> {
    const c = await this.deps.repo.lastCommit(v.placements.map((p) => p.file));
    if (c) v.lastCommit = c;
  }

  private assertNameFree(snap: ConfigSnapshot, name: string): void {
    const existing = snap.integrations.filter((e) => e.name === name);
    if (existing.length > 0) {
      throw new ConflictError(
        `An integration named "${name}" already exists (${existing.map((e) => e.file).join(', ')}).`,
        {
          hints: [`Change it with: imagetrail integration edit ${name} …`, 'Or pick another name.'],
        },
      );
    }
  }

  private notFound(name: string): NotFoundError {
    return new NotFoundError(`No integration named "${name}".`, {
      hints: ['See the existing ones with: imagetrail integration list'],
    });
  }

  private runtimeNotFound(name: string): InputError {
    return new InputError(`No runtime named "${name}".`, {
      details: [{ path: 'sharing.runtimes', message: `runtime "${name}" does not exist` }],
      hints: [
        'See the runtimes with: imagetrail runtime list',
        `Or add it: imagetrail runtime add ${name} --type hybrid --version X.Y.Z`,
      ],
    });
  }

  private async audit(
    actor: Actor,
    action: string,
    target: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    this.deps.logger.info({ actor: actor.name, action, target, detail }, action);
    await this.deps.audit?.record({ actorTokenId: actor.id, action, target, detail });
  }
}

// ---- helpers --------------------------------------------------------------------------------

function placementsFor(sharing: Sharing): Placement[] {
  if ('allRuntimes' in sharing) return [{ scope: 'all' }];
  return [...new Set(sharing.runtimes)].sort().map((runtime) => ({ scope: 'runtime' as const, runtime }));
}

function sharingOf(entries: IntegrationEntry[]): Sharing {
  if (entries.some((e) => e.placement.scope === 'all')) return { allRuntimes: true };
  return {
    runtimes: entries
      .map((e) => (e.placement.scope === 'runtime' ? e.placement.runtime : ''))
      .filter(Boolean)
      .sort(),
  };
}

function sharingText(s: Sharing): string {
  return 'allRuntimes' in s ? 'all runtimes' : `runtimes ${[...new Set(s.runtimes)].sort().join(', ')}`;
}

/** The copy a view describes: the all-runtimes one if present, else the first runtime copy. */
function primaryEntry(entries: IntegrationEntry[]): IntegrationEntry {
  const e =
    entries.find((x) => x.placement.scope === 'all') ??
    [...entries].sort((a, b) => a.file.localeCompare(b.file))[0];
  if (!e) throw new InternalError('primaryEntry of no entries');
  return e;
}

function toConnectionInput(ecr: EcrInput): EcrConnectionInput {
  return {
    region: ecr.region,
    auth: ecr.auth,
    ...(ecr.endpoints ? { endpoints: dropUndefined(ecr.endpoints) } : {}),
  };
}

function toYaml(resource: IntegrationV1alpha1): string {
  return (
    '# Managed by imagetrail. Secret values are sealed with age for the runtimes that use them and the control plane;\n' +
    '# change this resource with `imagetrail integration edit` (hand edits are validated on sync).\n' +
    stringify(resource, { lineWidth: 0 })
  );
}

function missing(path: string, message: string): InputError {
  return new InputError(message, { details: [{ path, message }] });
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
