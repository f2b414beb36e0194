import type { IntegrationSpec, IntegrationType } from '../../config-repo/kinds/integration-v1alpha1.js';
import type { AnyIntegrationTypeHandler } from './handler.js';
import { loadHandlers, TYPE_FOLDERS } from './handler-loader.js';
import { INTEGRATION_TYPE_DEFINITIONS } from './definitions.js';

export type { AnyIntegrationTypeHandler } from './handler.js';
export type { IntegrationCheck, IntegrationTestResult } from './test-result.js';

/**
 * The server side of each registered type (definitions.ts): its handler, found by its folder
 * (`registry.ecr` → `registry-ecr/handler.ts`). Loaded once, when this module is first imported, so a type
 * whose handler is missing or built from another definition stops the start with its name and file
 * (handler-loader.ts), and `handlerFor` stays synchronous.
 */
const HANDLERS = await loadHandlers(INTEGRATION_TYPE_DEFINITIONS, TYPE_FOLDERS);

export const INTEGRATION_TYPES: IntegrationType[] = INTEGRATION_TYPE_DEFINITIONS.map((d) => d.type);

export function handlerFor(type: IntegrationType): AnyIntegrationTypeHandler {
  return HANDLERS[type];
}

/** The type's settings section of a stored spec (`spec.ecr`, `spec.github`, `spec.jira`). */
export function sectionOf(spec: IntegrationSpec): unknown {
  return (spec as Record<string, unknown>)[handlerFor(spec.type).section];
}
