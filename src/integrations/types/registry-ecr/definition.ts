import { defineIntegrationType } from '../definition.js';
import { ecrFlags } from './flags.js';
import { ecrForm } from './form.js';
import { ACCESS_KEY_MIN_RUNTIME_VERSION, ecrRuleViolation, EcrSpec } from './kind.js';
import { EcrView } from './view.js';

/** `registry.ecr`: Amazon ECR by IAM role (assumed from the runtime's identity) or by access key. */
export const registryEcrDefinition = defineIntegrationType({
  type: 'registry.ecr',
  section: 'ecr',
  title: 'Amazon ECR',
  summary: 'Images in Amazon ECR, by an IAM role the runtime assumes or by an IAM user’s access key.',
  spec: EcrSpec,
  view: EcrView,
  endpoints: [
    { path: 'endpoints.api', aws: true },
    { path: 'endpoints.sts', aws: true },
    { path: 'endpoints.registry' },
  ],
  mode: { path: 'auth.mode' },
  runtimeRule: ecrRuleViolation,
  availabilityText: `IAM role: hybrid runtimes only. Access key: runtime ${ACCESS_KEY_MIN_RUNTIME_VERSION} or later.`,
  cli: ecrFlags,
  form: ecrForm,
});
