import * as z from 'zod';
import { ResourceName } from '../domain/names.js';
import type { IntegrationType } from '../config-repo/kinds/integration-v1alpha1.js';
import { Sharing } from '../contract/integrations.js';
import { INTEGRATION_TYPES } from './types/index.js';

/**
 * The envelopes of what callers send. Each type's settings travel in a section named after it (`ecr`,
 * `github`, `jira`); the envelope only carries them, and the type's handler validates them (see
 * `types/`), so that a new type adds a handler and not a branch here.
 */

export { Sharing } from '../contract/integrations.js';

export const IntegrationTypeName = z.enum(INTEGRATION_TYPES as [IntegrationType, ...IntegrationType[]], {
  error: `type must be one of ${INTEGRATION_TYPES.map((t) => `"${t}"`).join(', ')}`,
});

/** The settings sections, validated by the handler of the type. */
const Sections = {
  ecr: z.unknown().optional(),
  github: z.unknown().optional(),
  jira: z.unknown().optional(),
};
export type SectionsInput = { ecr?: unknown; github?: unknown; jira?: unknown };

export const CreateIntegrationInput = z
  .object({
    name: ResourceName,
    type: IntegrationTypeName,
    description: z.string().max(500).optional(),
    sharing: Sharing,
    ...Sections,
    skipTest: z.boolean().default(false),
    /** Run the connection test on this runtime instead of the default one. */
    testRuntime: ResourceName.optional(),
  })
  .strict();
export type CreateIntegrationInput = z.infer<typeof CreateIntegrationInput>;

/** An edit names only what changes; the type of an integration does not change. */
export const EditIntegrationInput = z
  .object({
    description: z.string().max(500).nullable().optional(),
    sharing: Sharing.optional(),
    ...Sections,
    skipTest: z.boolean().default(false),
    testRuntime: ResourceName.optional(),
  })
  .strict();
export type EditIntegrationInput = z.infer<typeof EditIntegrationInput>;

export const TestDraftInput = z
  .object({
    /** With a name, a stored integration's secret fills in a secret the draft leaves out. */
    name: ResourceName.optional(),
    /** Optional: otherwise the section present says it (or the stored integration of that name). */
    type: IntegrationTypeName.optional(),
    sharing: Sharing.optional(),
    ...Sections,
    runtime: ResourceName.optional(),
  })
  .strict();
export type TestDraftInput = z.infer<typeof TestDraftInput>;

export { DeleteIntegrationRequest as DeleteIntegrationInput } from '../contract/integrations.js';
