import { assertSectionEndpoints } from '../config-repo/endpoints.js';
import type { EndpointPolicy } from '../domain/endpoints.js';
import type { z } from 'zod';
import {
  CheckFailedError,
  ConflictError,
  InputError,
  InternalError,
  NotFoundError,
} from '../domain/errors.js';
import { parseInput, zodDetails } from '../domain/parse.js';
import type { Redactor } from '../logging/redactor.js';
import type { Logger } from '../logging/logger.js';
import { API_VERSION } from '../config-repo/kinds/common.js';
import { IntegrationV1alpha1, type IntegrationType } from '../config-repo/kinds/integration-v1alpha1.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import { integrationPath } from '../config-repo/layout.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { ConfigSnapshot, IntegrationEntry } from '../config-repo/snapshot.js';
import { resolveIntegration } from '../config-repo/snapshot.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { IntegrationExecutor } from './types/executor.js';
import { availabilityOfSpec, type Availability } from './availability.js';
import { secretFieldNames } from './types/definitions.js';
import { recipientsFor, type RecipientSource } from './recipients.js';
import { resealAll, toYaml, type ResealResult } from './reseal.js';
import { assertSameDestinations, sealFor, storedSecretOpener } from './sealed-secrets.js';
import {
  CreateIntegrationInput,
  DeleteIntegrationInput,
  EditIntegrationInput,
  TestDraftInput,
  type SectionsInput,
  type Sharing,
} from './input.js';
import {
  handlerFor,
  INTEGRATION_TYPES,
  sectionOf,
  type AnyIntegrationTypeHandler,
  type IntegrationCheck,
  type IntegrationTestResult,
} from './types/index.js';

export type { IntegrationCheck, IntegrationTestResult } from './types/index.js';

type Runtime = Pick<RuntimeV1alpha1, 'metadata' | 'spec'>;
type Placement = IntegrationEntry['placement'];

export interface IntegrationView {
  name: string;
  type: IntegrationType;
  description?: string;
  /** One word for the way it authenticates: ECR's auth mode, Jira's auth kind, `token` for GitHub. */
  mode: string;
  /** The type's settings, under the type's section key; secrets only as `{ set: true }`. */
  ecr?: {
    region: string;
    mode: 'iamRole' | 'accessKey';
    roleArn?: string;
    externalId?: string;
    sessionName?: string;
    durationSeconds?: number;
    accessKeyId?: string;
    /** Write-only: the API says whether a secret is stored, never what it is. */
    secretAccessKey?: { set: boolean };
    endpoints?: { api?: string; sts?: string; registry?: string };
  };
  github?: { apiUrl: string; token: { set: boolean } };
  jira?: {
    baseUrl: string;
    auth:
      | { kind: 'cloud'; email: string; apiToken: { set: boolean } }
      | { kind: 'server'; pat: { set: boolean } };
    projectPrefixes?: string;
    failOnNotFound?: boolean;
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
  test?: IntegrationTestResult;
}

export interface Actor {
  id: string;
  name: string;
  /** A person signed in through SSO (id `sso:<subject>`), not an API token. */
  sso?: boolean;
}

export interface IntegrationServiceDeps {
  repo: ConfigRepo;
  /** Where credentials may be sent (`--allow-endpoint`); default: https or loopback only. */
  endpoints?: EndpointPolicy;
  keys: KeyStore;
  executor: IntegrationExecutor;
  redactor: Redactor;
  logger: Logger;
  /** Recipients pinned outside Git; sealing never takes them from the repository. */
  pins: RecipientSource;
  audit?: {
    record(event: {
      actorTokenId?: string;
      actorUser?: { id: string; name: string };
      action: string;
      target: string;
      detail?: Record<string, unknown>;
    }): Promise<unknown>;
  };
}

/**
 * Integrations as GitOps resources: every rule of the spec is checked here, the connection is tested on a
 * runtime the integration applies to before anything is written, secrets are sealed for exactly the
 * runtimes that can use them plus the control plane, and each change is one commit. What differs between
 * types (settings, secrets, availability, the test) is asked of the type's handler (`types/`).
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
    // One pass over the history for all of them, not one git per integration.
    const commits = await this.deps.repo.lastCommits(views.map((v) => v.placements.map((p) => p.file)));
    views.forEach((v, i) => {
      const c = commits[i];
      if (c) v.lastCommit = c;
    });
    return views;
  }

  async get(name: string): Promise<IntegrationView> {
    const snap = this.deps.repo.snapshot();
    if (!snap.integrations.some((e) => e.name === name)) throw this.notFound(name);
    const v = this.view(snap, name);
    await this.addLastCommit(v);
    return v;
  }

  async create(raw: unknown, actor: Actor, onCheck?: (c: IntegrationCheck) => void): Promise<MutationResult> {
    // Register secrets before validating, so even a validation message cannot carry one.
    this.registerRawSecrets(raw);
    const input = parseInput(CreateIntegrationInput, raw);
    const h = handlerFor(input.type);
    const settings = this.sectionInput(h, h.createInput, input, true);
    this.registerSecrets(h, settings);
    assertSectionEndpoints(h.section, settings, this.deps.endpoints);
    const mode = h.modeOf(settings);
    const snap = this.deps.repo.snapshot();
    this.assertNameFree(snap, input.name);
    const targets = this.targets(snap, input.sharing, h, settings);

    const test = input.skipTest
      ? undefined
      : await this.runTest(snap, targets, h, settings, input.testRuntime, onCheck);

    const { commit } = await this.deps.repo.mutate(
      `integration: add ${input.name} (${h.type}, ${mode}, ${sharingText(input.sharing)})`,
      async (tx) => {
        // Re-check against the state the commit will be made on: another writer may have got there first.
        const fresh = this.deps.repo.snapshot();
        this.assertNameFree(fresh, input.name);
        this.targets(fresh, input.sharing, h, settings); // the rules again, on the state being committed
        for (const placement of placementsFor(input.sharing)) {
          const resource = await this.buildResource(
            fresh,
            input.name,
            input.description,
            h,
            settings,
            placement,
          );
          await tx.write(integrationPath(placement, input.name), toYaml(resource));
        }
      },
    );
    await this.audit(actor, 'integration.create', input.name, {
      type: h.type,
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
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<MutationResult> {
    this.registerRawSecrets(raw);
    const input = parseInput(EditIntegrationInput, raw);
    let snap = this.deps.repo.snapshot();
    // Another replica may have added it a moment ago, before its notification arrived: pull, then decide.
    if (!snap.integrations.some((e) => e.name === name)) snap = await this.deps.repo.sync();
    const entries = snap.integrations.filter((e) => e.name === name);
    if (entries.length === 0) throw this.notFound(name);
    const current = primaryEntry(entries);
    const h = handlerFor(current.resource.spec.type);
    const patch = this.sectionInput(h, h.patchInput, input, false);
    const sharing = input.sharing ?? sharingOf(entries);
    const opener = this.opener(current);
    const settings = await h.merge(sectionOf(current.resource.spec), patch, opener.unseal);
    assertSameDestinations(h, name, sectionOf(current.resource.spec), settings, opener.reused);
    this.registerSecrets(h, settings);
    assertSectionEndpoints(h.section, settings, this.deps.endpoints);
    const targets = this.targets(snap, sharing, h, settings);

    const test = input.skipTest
      ? undefined
      : await this.runTest(snap, targets, h, settings, input.testRuntime, onCheck);

    const { commit } = await this.deps.repo.mutate(
      `integration: edit ${name} (${h.type}, ${h.modeOf(settings)}, ${sharingText(sharing)})`,
      async (tx) => {
        // The patch is applied again to the state the commit is made on, so a concurrent edit of other
        // fields is kept. If the connection settings themselves moved underneath, what was tested is no
        // longer what would be committed: refuse rather than commit untested settings.
        const fresh = this.deps.repo.snapshot();
        const freshEntries = fresh.integrations.filter((e) => e.name === name);
        if (freshEntries.length === 0) throw this.notFound(name);
        const freshCurrent = primaryEntry(freshEntries);
        if (freshCurrent.resource.spec.type !== h.type) {
          throw new ConflictError(
            `Integration "${name}" became a ${freshCurrent.resource.spec.type} integration while it was being edited.`,
            { hints: ['Look at it again (imagetrail integration show) and repeat the edit.'] },
          );
        }
        const freshOpener = this.opener(freshCurrent);
        const freshSettings = await h.merge(sectionOf(freshCurrent.resource.spec), patch, freshOpener.unseal);
        assertSameDestinations(
          h,
          name,
          sectionOf(freshCurrent.resource.spec),
          freshSettings,
          freshOpener.reused,
        );
        if (!input.skipTest && JSON.stringify(freshSettings) !== JSON.stringify(settings)) {
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
        this.targets(fresh, freshSharing, h, freshSettings); // the rules again, on the state being committed
        const keep = new Set<string>();
        for (const placement of placementsFor(freshSharing)) {
          const path = integrationPath(placement, name);
          keep.add(path);
          const resource = await this.buildResource(
            fresh,
            name,
            freshDescription,
            h,
            freshSettings,
            placement,
          );
          await tx.write(path, toYaml(resource));
        }
        for (const e of freshEntries) if (!keep.has(e.file)) await tx.remove(e.file);
      },
    );
    await this.audit(actor, 'integration.edit', name, {
      type: h.type,
      sharing,
      mode: h.modeOf(settings),
      commit,
      skipTest: input.skipTest,
    });
    if (opener.reused.length > 0)
      await this.auditSecretUse(actor, 'edit-reseal', name, h, settings, opener.reused);
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
    actor: Actor,
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult> {
    const snap = this.deps.repo.snapshot();
    const entries = snap.integrations.filter((e) => e.name === name);
    if (entries.length === 0) throw this.notFound(name);
    const candidates: Runtime[] = [];
    for (const rt of snap.runtimes.values()) {
      const eff = resolveIntegration(snap, rt.metadata.name, name);
      if (eff && availabilityOfSpec(eff.resource.spec, rt).available) candidates.push(rt);
    }
    if (runtimeName && !snap.runtimes.has(runtimeName)) throw this.runtimeNotFound(runtimeName);
    const chosenName = this.pickTestRuntime(candidates, runtimeName, name);
    const effective = resolveIntegration(snap, chosenName, name);
    if (!effective) throw new InternalError(`integration ${name} vanished while testing`);
    const runtime = snap.runtimes.get(chosenName)!;
    const h = handlerFor(effective.resource.spec.type);
    // A stored integration is its own settings with no edit: merging nothing unseals what the test needs.
    const opener = this.opener(effective);
    const settings = await h.merge(sectionOf(effective.resource.spec), undefined, opener.unseal);
    assertSectionEndpoints(h.section, settings, this.deps.endpoints);
    await this.auditSecretUse(actor, 'test', name, h, settings, opener.reused, chosenName);
    return h.test(settings, runtime, this.deps.executor, onCheck);
  }

  /** Tests settings that are not committed yet (the dashboard's "Test connection" before "Commit"). */
  async testDraft(
    raw: unknown,
    actor: Actor,
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult> {
    this.registerRawSecrets(raw);
    const input = parseInput(TestDraftInput, raw);
    const snap = this.deps.repo.snapshot();
    const entries = input.name ? snap.integrations.filter((e) => e.name === input.name) : [];
    const stored = entries.length > 0 ? primaryEntry(entries) : undefined;
    const present = INTEGRATION_TYPES.filter((t) => sectionValue(input, handlerFor(t).section) !== undefined);
    const type = input.type ?? present[0] ?? stored?.resource.spec.type;
    if (!type) {
      throw new InputError('Say what to test: a type and its settings (ecr, github or jira).', {
        details: [{ path: 'type', message: 'required' }],
      });
    }
    const h = handlerFor(type);
    const draft = this.sectionInput(h, h.draftInput, input, true);
    let settings: unknown;
    let reused: string[] = [];
    const complete = h.createInput.safeParse(draft);
    if (complete.success) {
      settings = complete.data;
    } else if (stored && stored.resource.spec.type === h.type) {
      // Editing in the dashboard: secret fields are write-only, so an empty one means "keep the stored one" —
      // but only for the destinations it was sealed for: a new URL needs the secret typed in again.
      const opener = this.opener(stored);
      settings = await h.merge(sectionOf(stored.resource.spec), draft, opener.unseal);
      assertSameDestinations(h, stored.name, sectionOf(stored.resource.spec), settings, opener.reused);
      reused = opener.reused;
    } else {
      throw sectionError(complete.error, h.section, 'to test the draft');
    }
    this.registerSecrets(h, settings);
    assertSectionEndpoints(h.section, settings, this.deps.endpoints);
    const sharing = input.sharing ?? { allRuntimes: true as const };
    const targets = this.targets(snap, sharing, h, settings);
    const runtimeName = this.pickTestRuntime(
      targets.filter((t) => t.availability.available).map((t) => t.runtime),
      input.runtime,
      input.name ?? 'the draft integration',
    );
    if (stored && reused.length > 0)
      await this.auditSecretUse(actor, 'draft-test', stored.name, h, settings, reused, runtimeName);
    return h.test(settings, snap.runtimes.get(runtimeName)!, this.deps.executor, onCheck);
  }

  /**
   * Re-seals every integration's secrets, of every type, for the pinned recipients of the runtimes that can
   * use it now (after a runtime joins); see `reseal.ts`.
   */
  resealAll(
    tx: { write(path: string, text: string): Promise<void> },
    snap: ConfigSnapshot,
    opts: { migrateUnbound?: boolean; pins?: RecipientSource } = {},
  ): Promise<ResealResult> {
    const deps = { ...this.deps, pins: opts.pins ?? this.deps.pins };
    return resealAll(tx, snap, deps, opts);
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
    h: AnyIntegrationTypeHandler,
    settings: unknown,
  ): Array<{ runtime: Runtime; availability: Availability }> {
    if ('allRuntimes' in sharing) {
      return [...snap.runtimes.values()].map((runtime) => ({
        runtime,
        availability: h.availability(settings, runtime),
      }));
    }
    const out: Array<{ runtime: Runtime; availability: Availability }> = [];
    const refusals: string[] = [];
    for (const name of new Set(sharing.runtimes)) {
      const runtime = snap.runtimes.get(name);
      if (!runtime) throw this.runtimeNotFound(name);
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
    h: AnyIntegrationTypeHandler,
    settings: unknown,
    requested: string | undefined,
    onCheck?: (c: IntegrationCheck) => void,
  ): Promise<IntegrationTestResult> {
    if (requested && !snap.runtimes.has(requested)) throw this.runtimeNotFound(requested);
    const available = targets.filter((t) => t.availability.available).map((t) => t.runtime);
    const runtimeName = this.pickTestRuntime(available, requested, 'the integration');
    const result = await h.test(settings, snap.runtimes.get(runtimeName)!, this.deps.executor, onCheck);
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

  private async buildResource(
    snap: ConfigSnapshot,
    name: string,
    description: string | undefined,
    h: AnyIntegrationTypeHandler,
    settings: unknown,
    placement: Placement,
  ): Promise<IntegrationV1alpha1> {
    const recipients = recipientsFor(snap, this.deps.pins, placement, (rt) => h.availability(settings, rt));
    const section = await h.build(settings, sealFor(h, name, settings, recipients));
    const resource = {
      apiVersion: API_VERSION,
      kind: 'Integration',
      metadata: { name },
      spec: { type: h.type, ...(description ? { description } : {}), [h.section]: section },
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

  /**
   * The caller's settings for the handler's section, validated by the handler. Another type's section is
   * refused: the type of an integration is fixed, and silently ignoring settings would be worse.
   */
  private sectionInput<T>(
    h: AnyIntegrationTypeHandler,
    schema: z.ZodType<T>,
    input: SectionsInput,
    required: true,
  ): T;
  private sectionInput<T>(
    h: AnyIntegrationTypeHandler,
    schema: z.ZodType<T>,
    input: SectionsInput,
    required: boolean,
  ): T | undefined;
  private sectionInput<T>(
    h: AnyIntegrationTypeHandler,
    schema: z.ZodType<T>,
    input: SectionsInput,
    required: boolean,
  ): T | undefined {
    for (const t of INTEGRATION_TYPES) {
      const other = handlerFor(t).section;
      if (other !== h.section && sectionValue(input, other) !== undefined) {
        const message = `"${other}" settings do not apply to a ${h.type} integration (use "${h.section}")`;
        throw new InputError(`Invalid input: ${other}: ${message}`, { details: [{ path: other, message }] });
      }
    }
    const value = sectionValue(input, h.section);
    if (value === undefined) {
      if (!required) return undefined;
      const message = `the ${h.type} settings are required`;
      throw new InputError(`Invalid input: ${h.section}: ${message}`, {
        details: [{ path: h.section, message }],
      });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw sectionError(parsed.error, h.section);
    return parsed.data;
  }

  /** Opens the stored secrets of one integration, only where they are bound to be used. */
  private opener(e: IntegrationEntry) {
    return storedSecretOpener(this.deps, { name: e.name, file: e.file, spec: e.resource.spec });
  }

  private registerSecrets(h: AnyIntegrationTypeHandler, settings: unknown): void {
    for (const secret of h.secretsOf(settings)) this.deps.redactor.register(secret);
  }

  /**
   * Secret-looking strings of a raw body, registered before validation so that a validation error quoting
   * a value cannot leak one. Validation then registers exactly the handler's secret fields.
   */
  private registerRawSecrets(raw: unknown): void {
    const walk = (v: unknown, key: string, depth: number): void => {
      if (depth > 6) return;
      if (typeof v === 'string' && SECRET_KEYS.has(key)) this.deps.redactor.register(v);
      else if (v && typeof v === 'object' && !Array.isArray(v))
        for (const [k, x] of Object.entries(v)) walk(x, k, depth + 1);
    };
    walk(raw, '', 0);
  }

  // ---- views ----------------------------------------------------------------------------------

  private view(snap: ConfigSnapshot, name: string): IntegrationView {
    const entries = snap.integrations.filter((e) => e.name === name);
    const primary = primaryEntry(entries);
    const spec = primary.resource.spec;
    const h = handlerFor(spec.type);
    const section = sectionOf(spec);
    const availability: IntegrationView['availability'] = [];
    for (const rt of [...snap.runtimes.values()].sort((a, b) =>
      a.metadata.name.localeCompare(b.metadata.name),
    )) {
      const eff = resolveIntegration(snap, rt.metadata.name, name);
      if (!eff) continue;
      availability.push({
        ...availabilityOfSpec(eff.resource.spec, rt),
        source: eff.placement.scope === 'all' ? 'all-runtimes' : 'runtime',
      });
    }
    const files = new Set(entries.map((x) => x.file));
    return {
      name,
      type: spec.type,
      ...(spec.description ? { description: spec.description } : {}),
      mode: h.modeOf(section),
      [h.section]: h.view(section),
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

  /** Every admin action that uses a stored secret, with where it goes; never the secret itself. */
  private async auditSecretUse(
    actor: Actor,
    use: 'test' | 'draft-test' | 'edit-reseal',
    name: string,
    h: AnyIntegrationTypeHandler,
    settings: unknown,
    fields: string[],
    runtime?: string,
  ): Promise<void> {
    const destinations = h.destinations(settings);
    await this.audit(actor, 'integration.secret-use', name, {
      use,
      type: h.type,
      fields,
      destinations,
      ...(runtime ? { runtime } : {}),
    });
  }

  private async audit(
    actor: Actor,
    action: string,
    target: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    this.deps.logger.info({ actor: actor.name, action, target, detail }, action);
    const who = actor.sso ? { actorUser: { id: actor.id, name: actor.name } } : { actorTokenId: actor.id };
    await this.deps.audit?.record({ ...who, action, target, detail });
  }
}

// ---- helpers --------------------------------------------------------------------------------

/** Field names that hold a secret in any type's input: the sealed fields of every type definition. */
const SECRET_KEYS = new Set(secretFieldNames());

function sectionValue(input: SectionsInput, section: string): unknown {
  return (input as Record<string, unknown>)[section];
}

function sectionError(error: z.ZodError, section: string, why?: string): InputError {
  const details = zodDetails(error).map((d) => ({
    ...d,
    path: d.path === '(root)' ? section : `${section}.${d.path}`,
  }));
  const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  return new InputError(`Invalid input${why ? ` ${why}` : ''}: ${summary}`, { details });
}

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
