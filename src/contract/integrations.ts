import * as z from 'zod';
import { ResourceName } from '../domain/names.js';

/**
 * The integrations API as both ends see it: what the server answers and the envelopes callers send (each
 * type's own settings, rules and form are its definition's: integrations/types/<type>/). Browser-safe: zod and the domain's
 * format schemas only, nothing from the config repository or Node (the dashboard bundles this file).
 * Answers are read leniently (objects not strict): a newer server may add fields.
 */

export { ResourceName } from '../domain/names.js';

// ---- requests ----------------------------------------------------------------------------------------

/** Where an integration is shared: every runtime, or the named ones. */
export const Sharing = z.union(
  [
    z.object({ allRuntimes: z.literal(true) }).strict(),
    z.object({ runtimes: z.array(ResourceName).min(1, 'name at least one runtime').max(100) }).strict(),
  ],
  { error: 'sharing must be {"allRuntimes": true} or {"runtimes": ["name", …]}' },
);
export type Sharing = z.infer<typeof Sharing>;

/** `DELETE /integrations/{name}` needs the word typed, as the dashboard's dialog and the CLI ask. */
export const DeleteIntegrationRequest = z
  .object({ confirm: z.literal('DELETE', { error: 'type DELETE in "confirm" to delete the integration' }) })
  .strict();

// ---- answers -----------------------------------------------------------------------------------------

/**
 * A write-only secret: the API says whether one is stored, never what it is. Each type's view schema
 * (`integrations/types/<type>/view.ts`) shows its secrets with this.
 */
export const SecretSet = z.object({ set: z.boolean() });

export const SharingView = z.union([
  z.object({ allRuntimes: z.literal(true) }),
  z.object({ runtimes: z.array(z.string()) }),
]);
export type SharingView = z.infer<typeof SharingView>;

export const AvailabilityView = z.object({
  runtime: z.string(),
  available: z.boolean(),
  reason: z.string().optional(),
  source: z.enum(['all-runtimes', 'runtime']).optional(),
});

/**
 * Any integration: the fields every type has, and its type's settings under the type's section key
 * (`ecr`, `github`, …), secrets only as `{ set }`. The sections pass through unchecked here: each type's
 * section is validated by its definition's view schema (`integrations/types/<type>/view.ts`, read with
 * `sectionView`), so a new type adds no line to this contract, and a client keeps a newer type's section.
 */
export const IntegrationView = z.looseObject({
  name: z.string(),
  type: z.string(),
  description: z.string().optional(),
  /** One word for the way it authenticates: ECR's auth mode, Jira's auth kind, `token` for GitHub. */
  mode: z.string().optional(),
  sharing: SharingView,
  placements: z.array(
    z.object({ scope: z.enum(['all', 'runtime']), runtime: z.string().optional(), file: z.string() }),
  ),
  availability: z.array(AvailabilityView),
  lastCommit: z.object({ sha: z.string(), subject: z.string(), time: z.string() }).optional(),
  problems: z
    .array(z.object({ file: z.string(), path: z.string(), message: z.string(), severity: z.string() }))
    .default([]),
});
export type IntegrationView = z.infer<typeof IntegrationView>;

export const IntegrationList = z.object({ items: z.array(IntegrationView) });
export type IntegrationList = z.infer<typeof IntegrationList>;

/** One step of a connection test, streamed as it ends. */
export const Check = z.object({
  name: z.string(),
  ok: z.boolean(),
  message: z.string(),
  errorClass: z.string().optional(),
  hints: z.array(z.string()).optional(),
  action: z.string().optional(),
  durationMs: z.number().optional(),
  skipped: z.boolean().optional(),
});
export type Check = z.infer<typeof Check>;

/** Who the credentials act as: ECR `{ arn, account, userId }`, GitHub `{ login }`, Jira `{ displayName }`. */
export const Identity = z.object({
  arn: z.string().optional(),
  account: z.string().optional(),
  login: z.string().optional(),
  displayName: z.string().optional(),
  name: z.string().optional(),
});
export type Identity = z.infer<typeof Identity>;

/** The one line a person reads: the ARN, the GitHub login or the Jira display name. */
export function identityText(i: Identity): string | undefined {
  return i.arn ?? i.login ?? i.displayName ?? i.name;
}

export const TestResult = z.object({
  ok: z.boolean(),
  runtime: z.object({ name: z.string(), type: z.enum(['hybrid', 'hosted']) }).optional(),
  checks: z.array(Check),
  identity: Identity.optional(),
});
export type TestResult = z.infer<typeof TestResult>;

export const MutationResult = z.object({
  integration: IntegrationView,
  commit: z.string().nullable(),
  test: TestResult.optional(),
});
export type MutationResult = z.infer<typeof MutationResult>;

export const DeleteResult = z.object({ commit: z.string().nullable(), removed: z.array(z.string()) });
export type DeleteResult = z.infer<typeof DeleteResult>;
