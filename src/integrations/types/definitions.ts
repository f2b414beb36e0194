import { secretPaths, type AnyIntegrationTypeDefinition } from './definition.js';
import { gitGithubDefinition } from './git-github/definition.js';
import { issueJiraDefinition } from './issue-jira/definition.js';
import { registryEcrDefinition } from './registry-ecr/definition.js';

/**
 * The integration types imagetrail knows: one line each. Browser-safe: the Integration kind, the endpoint
 * policy, availability, redaction, the dashboard and the docs tables are derived from this list; the
 * server loads each type's handler from its folder (`registry-ecr/handler.ts`, see `./index.ts`).
 */
export const INTEGRATION_TYPE_DEFINITIONS = [
  registryEcrDefinition,
  gitGithubDefinition,
  issueJiraDefinition,
] as const;

type Definitions = (typeof INTEGRATION_TYPE_DEFINITIONS)[number];
export type IntegrationTypeName = Definitions['type'];
export type IntegrationSection = Definitions['section'];

/** The definition of a known type, or undefined (a newer server's type, a typo in a file). */
export function definitionOf(type: string): AnyIntegrationTypeDefinition | undefined {
  return INTEGRATION_TYPE_DEFINITIONS.find((d) => d.type === type);
}

/** The definition whose settings section is `section` (`ecr`), or undefined. */
export function definitionOfSection(section: string): AnyIntegrationTypeDefinition | undefined {
  return INTEGRATION_TYPE_DEFINITIONS.find((d) => d.section === section);
}

/** The last names of every type's secret fields (`secretAccessKey`, `token`, …): never logged or shown. */
export function secretFieldNames(
  definitions: readonly AnyIntegrationTypeDefinition[] = INTEGRATION_TYPE_DEFINITIONS,
): string[] {
  const names = definitions.flatMap((d) => secretPaths(d).map((p) => p.split('.').pop() ?? p));
  return [...new Set(names)].sort();
}
