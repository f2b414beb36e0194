import {
  assertEndpoints,
  endpointProblem,
  type EndpointPolicy,
  type EndpointRule,
} from '../domain/endpoints.js';
import { valueAt } from '../integrations/types/definition.js';
import { definitionOf, definitionOfSection } from '../integrations/types/definitions.js';
import type { IntegrationSpec } from './kinds/integration-v1alpha1.js';
import type { Problem } from './validate.js';

/**
 * The credential-bearing endpoints of an integration section (`spec.ecr`, `spec.github`, `spec.jira`, or
 * the API's settings of the same shape), with the rule each must pass (domain/endpoints.ts).
 */
export function sectionEndpoints(
  section: string,
  value: unknown,
  prefix: string,
): Array<{ url: string | undefined; rule: EndpointRule }> {
  const fields = definitionOfSection(section)?.endpoints ?? [];
  return fields.map(({ path, aws }) => {
    const url = valueAt(value, path);
    return {
      url: typeof url === 'string' ? url : undefined,
      rule: { field: `${prefix}.${path}`, ...(aws ? { aws } : {}) },
    };
  });
}

function specSection(spec: IntegrationSpec): { name: string; value: unknown } {
  const name = definitionOf(spec.type)?.section ?? '';
  return { name, value: (spec as Record<string, unknown>)[name] };
}

/** Right before sending credentials: the stored spec must still pass (a hand-edited file, defence in depth). */
export function assertSpecEndpoints(spec: IntegrationSpec, policy: EndpointPolicy): void {
  const s = specSection(spec);
  assertEndpoints(sectionEndpoints(s.name, s.value, `spec.${s.name}`), policy);
}

/** For `config status`: one error per endpoint of a hand-edited file that may not carry credentials. */
export function specEndpointProblems(file: string, spec: IntegrationSpec, policy: EndpointPolicy): Problem[] {
  const s = specSection(spec);
  return sectionEndpoints(s.name, s.value, `spec.${s.name}`).flatMap(({ url, rule }) => {
    const message = url === undefined ? undefined : endpointProblem(url, rule, policy);
    return message === undefined
      ? []
      : [
          {
            file,
            path: rule.field,
            severity: 'error' as const,
            message: `${message} (credentials are not sent there)`,
          },
        ];
  });
}

/** At the API: a section's settings (`ecr`, `github`, `jira`) as the caller sent them. */
export function assertSectionEndpoints(
  section: string,
  settings: unknown,
  policy: EndpointPolicy | undefined,
): void {
  assertEndpoints(sectionEndpoints(section, settings, section), policy ?? { allow: [] });
}
