import { defineIntegrationType } from '../../../src/integrations/types/definition.js';
import { toyWebhookFlags } from './flags.js';
import { toyWebhookForm } from './form.js';
import { ToyWebhookSpec } from './kind.js';
import { ToyWebhookView } from './view.js';

/** A toy type in its own folder, shaped like src/integrations/types/<type>/. */
export const toyWebhookDefinition = defineIntegrationType({
  type: 'notify.webhook',
  section: 'webhook',
  title: 'Webhook',
  summary: 'A toy type: calls a URL, signed with a sealed key.',
  spec: ToyWebhookSpec,
  view: ToyWebhookView,
  endpoints: [{ path: 'url' }],
  mode: { fixed: 'key' },
  runtimeRule: (_mode, rt) =>
    rt.type === 'hosted' ? `runtime "${rt.name}" is hosted: webhooks need a hybrid runtime` : undefined,
  availabilityText: 'Hybrid runtimes only.',
  cli: toyWebhookFlags,
  form: toyWebhookForm,
});
