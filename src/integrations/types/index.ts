import { InputError } from '../../domain/errors.js';
import type { IntegrationSpec, IntegrationType } from '../../config-repo/kinds/integration-v1alpha1.js';
import type { AnyIntegrationTypeHandler } from './handler.js';
import { gitGithub } from './git-github.js';
import { issueJira } from './issue-jira.js';
import { registryEcr } from './registry-ecr.js';

export type { AnyIntegrationTypeHandler, IntegrationTypeHandler } from './handler.js';
export type { IntegrationCheck, IntegrationTestResult } from './test-result.js';

/**
 * The integration types imagetrail knows, each with its one handler. Adding a type is: a spec section in
 * `config-repo/kinds/integration-v1alpha1.ts`, a handler file here, and one line in this map.
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

/** The handler of a type named by a caller; an unknown type is an input error listing the known ones. */
export function handlerForName(type: string, path = 'type'): AnyIntegrationTypeHandler {
  if (!Object.hasOwn(HANDLERS, type)) {
    const message = `type must be one of ${INTEGRATION_TYPES.map((t) => `"${t}"`).join(', ')}`;
    throw new InputError(`Invalid input: ${path}: ${message}`, { details: [{ path, message }] });
  }
  return handlerFor(type as IntegrationType);
}

/** The type's settings section of a stored spec (`spec.ecr`, `spec.github`, `spec.jira`). */
export function sectionOf(spec: IntegrationSpec): unknown {
  return (spec as Record<string, unknown>)[handlerFor(spec.type).section];
}
