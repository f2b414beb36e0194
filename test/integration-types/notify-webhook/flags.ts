import type { CliSpec } from '../../../src/integrations/types/definition.js';

export const toyWebhookFlags: CliSpec = {
  command: 'webhook',
  description: 'add a toy webhook integration',
  flags: [
    { flag: '--url <url>', setting: 'url', description: 'where the webhook is sent' },
    {
      flag: '--signing-key-stdin',
      setting: 'signingKey',
      description: 'read the signing key from standard input',
    },
  ],
};
