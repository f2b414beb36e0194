import * as z from 'zod';
import { SecretSet } from '../../../src/contract/integrations.js';

/** What the API shows of the toy's `spec.webhook`: the URL, the signing key only as `{ set }`. */
export const ToyWebhookView = z.object({ url: z.string(), signingKey: SecretSet });
export type ToyWebhookView = z.infer<typeof ToyWebhookView>;
