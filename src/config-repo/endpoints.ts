import {
  assertEndpoints,
  endpointProblem,
  type EndpointPolicy,
  type EndpointRule,
} from '../domain/endpoints.js';
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
  const v = (value ?? {}) as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  if (section === 'ecr') {
    const e = (v['endpoints'] ?? {}) as Record<string, unknown>;
    return [
      { url: str(e['api']), rule: { field: `${prefix}.endpoints.api`, aws: true } },
      { url: str(e['sts']), rule: { field: `${prefix}.endpoints.sts`, aws: true } },
      { url: str(e['registry']), rule: { field: `${prefix}.endpoints.registry` } },
    ];
  }
  if (section === 'github') return [{ url: str(v['apiUrl']), rule: { field: `${prefix}.apiUrl` } }];
  if (section === 'jira') return [{ url: str(v['baseUrl']), rule: { field: `${prefix}.baseUrl` } }];
  return [];
}

function specSection(spec: IntegrationSpec): { name: string; value: unknown } {
  if (spec.type === 'registry.ecr') return { name: 'ecr', value: spec.ecr };
  if (spec.type === 'git.github') return { name: 'github', value: spec.github };
  return { name: 'jira', value: spec.jira };
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
