import type { ConfigSnapshot } from '../config-repo/snapshot.js';
import type { RecipientSource } from './recipients.js';
import { resealAll, type ResealResult } from './reseal.js';
import type { IntegrationTestResult } from './types/index.js';
import { createIntegration } from './service/create.js';
import { deleteIntegration } from './service/delete.js';
import { editIntegration } from './service/edit.js';
import { testDraft, testStored } from './service/connection-test.js';
import type {
  Actor,
  IntegrationServiceDeps,
  IntegrationView,
  MutationResult,
  OnCheck,
} from './service/types.js';
import { getView, listViews, listViewsWithCommits } from './service/views.js';

export type { Actor } from './service/types.js';

/**
 * Integrations as GitOps resources: every rule of the spec is checked, the connection is tested on a
 * runtime the integration applies to before anything is written, secrets are sealed for exactly the
 * runtimes that can use them plus the control plane, and each change is one commit. What differs between
 * types (settings, secrets, availability, the test) is asked of the type's handler (`types/`).
 *
 * A facade: each concern lives in `service/`, by reason to change (views, create, edit, delete, connection
 * tests, availability and refusals, resources and sealing, audit).
 */
export class IntegrationService {
  constructor(private readonly deps: IntegrationServiceDeps) {}

  list(): IntegrationView[] {
    return listViews(this.deps.repo);
  }

  listWithCommits(): Promise<IntegrationView[]> {
    return listViewsWithCommits(this.deps.repo);
  }

  get(name: string): Promise<IntegrationView> {
    return getView(this.deps.repo, name);
  }

  create(raw: unknown, actor: Actor, onCheck?: OnCheck): Promise<MutationResult> {
    return createIntegration(this.deps, raw, actor, onCheck);
  }

  edit(name: string, raw: unknown, actor: Actor, onCheck?: OnCheck): Promise<MutationResult> {
    return editIntegration(this.deps, name, raw, actor, onCheck);
  }

  delete(name: string, raw: unknown, actor: Actor): Promise<{ commit: string | null; removed: string[] }> {
    return deleteIntegration(this.deps, name, raw, actor);
  }

  /** Tests a stored integration on one runtime it is available on (default: the local runtime). */
  test(
    name: string,
    runtimeName: string | undefined,
    actor: Actor,
    onCheck?: OnCheck,
  ): Promise<IntegrationTestResult> {
    return testStored(this.deps, name, runtimeName, actor, onCheck);
  }

  /** Tests settings that are not committed yet (the dashboard's "Test connection" before "Commit"). */
  testDraft(raw: unknown, actor: Actor, onCheck?: OnCheck): Promise<IntegrationTestResult> {
    return testDraft(this.deps, raw, actor, onCheck);
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
}
