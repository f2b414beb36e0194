import { ecrRuleViolation, type EcrAuthMode } from '../contract/integrations.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import type { IntegrationSpec } from '../config-repo/kinds/integration-v1alpha1.js';

export interface Availability {
  runtime: string;
  available: boolean;
  /** Why not, in words a user can act on. */
  reason?: string;
}

type Runtime = Pick<RuntimeV1alpha1, 'metadata' | 'spec'>;
type AuthMode = EcrAuthMode;

/**
 * Rules 2 and 3 of the spec, for one runtime: IAM-role integrations need the runtime's own cloud
 * identity, which hosted runtimes do not have; access-key integrations need runtime ≥ 0.1.27. The rule
 * is the shared contract's, so the dashboard checks it with the same words before sending.
 */
export function availabilityOn(mode: AuthMode, runtime: Runtime): Availability {
  const name = runtime.metadata.name;
  const reason = ecrRuleViolation(mode, { name, type: runtime.spec.type, version: runtime.spec.version });
  return reason ? { runtime: name, available: false, reason } : { runtime: name, available: true };
}

/**
 * Availability of a stored integration of any type on one runtime. Only ECR has runtime rules (2 and 3):
 * GitHub and Jira are plain HTTPS with a token, which every runtime version and kind can do.
 */
export function availabilityOfSpec(spec: IntegrationSpec, runtime: Runtime): Availability {
  switch (spec.type) {
    case 'registry.ecr':
      return availabilityOn(spec.ecr.auth.mode, runtime);
    case 'git.github':
    case 'issue.jira':
      return { runtime: runtime.metadata.name, available: true };
  }
}
