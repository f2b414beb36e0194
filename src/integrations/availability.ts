import { compareSemver } from '../domain/semver.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import {
  ACCESS_KEY_MIN_RUNTIME_VERSION,
  type IntegrationSpec,
} from '../config-repo/kinds/integration-v1alpha1.js';

export interface Availability {
  runtime: string;
  available: boolean;
  /** Why not, in words a user can act on. */
  reason?: string;
}

type Runtime = Pick<RuntimeV1alpha1, 'metadata' | 'spec'>;
type AuthMode = 'iamRole' | 'accessKey';

/**
 * Rules 2 and 3 of the spec, for one runtime: IAM-role integrations need the runtime's own cloud
 * identity, which hosted runtimes do not have; access-key integrations need runtime ≥ 0.1.27.
 */
export function availabilityOn(mode: AuthMode, runtime: Runtime): Availability {
  const name = runtime.metadata.name;
  if (mode === 'iamRole' && runtime.spec.type === 'hosted') {
    return {
      runtime: name,
      available: false,
      reason: `IAM role integrations are not supported on hosted runtimes: runtime "${name}" is hosted and has no cloud identity to assume the role from. Use an access key, or share the integration with hybrid runtimes only.`,
    };
  }
  if (mode === 'accessKey' && compareSemver(runtime.spec.version, ACCESS_KEY_MIN_RUNTIME_VERSION) < 0) {
    return {
      runtime: name,
      available: false,
      reason: `Access key integrations need runtime version ${ACCESS_KEY_MIN_RUNTIME_VERSION} or higher: runtime "${name}" runs ${runtime.spec.version}. Upgrade the runtime, or use an IAM role.`,
    };
  }
  return { runtime: name, available: true };
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
