import type { IntegrationSpec, IntegrationType } from '../../config-repo/kinds/integration-v1alpha1.js';
import type { AnyIntegrationTypeHandler } from './handler.js';
import { gitGithub } from './git-github/handler.js';
import { issueJira } from './issue-jira/handler.js';
import { registryEcr } from './registry-ecr/handler.js';

export type { AnyIntegrationTypeHandler } from './handler.js';
export type { IntegrationCheck, IntegrationTestResult } from './test-result.js';

/**
 * The server side of each registered type (definitions.ts): its handler. Adding a type is its folder
 * (`<type>/kind.ts`, `handler.ts`, …) and its line in definitions.ts; the compiler then asks for the line
 * here (docs/adding-an-integration-type.md).
 */
const HANDLERS = {
  'registry.ecr': registryEcr,
  'git.github': gitGithub,
  'issue.jira': issueJira,
  // Every type has a handler, and each handler is filed under its own type (its section key is checked by
  // the handlers' unit test, which parses what each one builds with the Integration schema).
} satisfies { [T in IntegrationType]: AnyIntegrationTypeHandler & { type: T } };

export const INTEGRATION_TYPES = Object.keys(HANDLERS) as IntegrationType[];

export function handlerFor(type: IntegrationType): AnyIntegrationTypeHandler {
  return HANDLERS[type];
}

/** The type's settings section of a stored spec (`spec.ecr`, `spec.github`, `spec.jira`). */
export function sectionOf(spec: IntegrationSpec): unknown {
  return (spec as Record<string, unknown>)[handlerFor(spec.type).section];
}
