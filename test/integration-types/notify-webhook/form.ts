import { EndpointUrl } from '../../../src/domain/names.js';
import { filled, type FormSpec } from '../../../src/integrations/types/form-model.js';
import type { ToyWebhookView } from './view.js';

export const toyWebhookForm: FormSpec<ToyWebhookView> = {
  addTitle: 'Add a webhook',
  addLabel: 'Add webhook',
  fields: [
    {
      kind: 'url',
      key: 'url',
      label: 'URL',
      group: 'main',
      path: 'webhook.url',
      required: true,
      schema: EndpointUrl,
    },
    { kind: 'secret', key: 'signingKey', label: 'Signing key', group: 'auth', path: 'webhook.signingKey' },
  ],
  destinations: { keys: ['url'], words: 'the URL' },
  initial: {},
  fromView: (webhook): Record<string, string> => (webhook ? { url: webhook.url } : {}),
  storedSecrets: (webhook) => (webhook?.signingKey.set ? ['signingKey'] : []),
  sectionBody: (v) => filled({ url: v['url'], signingKey: v['signingKey'] }),
  summary: (webhook) => (webhook ? `Webhook (${webhook.url})` : 'Webhook'),
};
