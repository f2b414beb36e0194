import * as z from 'zod';
import { EndpointUrl } from '../../../src/domain/names.js';
import { defineHandler } from '../../../src/integrations/types/handler.js';
import { toyWebhookDefinition } from './definition.js';
import type { ToyWebhookSpec } from './kind.js';
import type { ToyWebhookView } from './view.js';

const Key = z.string().min(1, 'must not be empty');
const ToyInput = z.object({ url: EndpointUrl, signingKey: Key }).strict();
type ToyInput = z.infer<typeof ToyInput>;
const ToyPatch = z.object({ url: EndpointUrl.optional(), signingKey: Key.optional() }).strict();
type ToyPatch = z.infer<typeof ToyPatch>;

/** The toy's behaviour: seal the key, keep it on an edit that leaves it out, "test" without calling out. */
export const notifyWebhook = defineHandler<
  'notify.webhook',
  ToyInput,
  ToyPatch,
  ToyWebhookSpec,
  ToyWebhookView
>(toyWebhookDefinition, {
  createInput: ToyInput,
  patchInput: ToyPatch,
  draftInput: ToyPatch,
  secretsOf: (input) => [input.signingKey],
  merge: async (cur, patch, unseal) => ({
    url: patch?.url ?? cur.url,
    signingKey: patch?.signingKey ?? (await unseal(cur.signingKey, 'webhook.signingKey')),
  }),
  build: async (input, seal) => ({
    url: input.url,
    signingKey: await seal(input.signingKey, 'signingKey'),
  }),
  destinations: (settings) => ({ url: settings.url }),
  view: (section) => ({ url: section.url, signingKey: { set: true } }),
  refusalHints: () => ['Share it with hybrid runtimes only.'],
  test: async (_input, runtime) => ({
    ok: true,
    runtime: { name: runtime.metadata.name, type: runtime.spec.type },
    checks: [{ name: 'webhook', ok: true, message: 'a toy: nothing was called' }],
  }),
  reenterSecretHint: (name) => `imagetrail integration edit ${name} --signing-key-stdin`,
});
