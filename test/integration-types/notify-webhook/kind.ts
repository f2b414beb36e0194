import * as z from 'zod';
import { SealedValue } from '../../../src/contract/sealed-value.js';
import { EndpointUrl } from '../../../src/domain/names.js';

/** `spec.webhook` of a toy type: a URL to call and a sealed signing key (the secret, marked once). */
export const ToyWebhookSpec = z
  .object({ url: EndpointUrl, signingKey: SealedValue, minRuntimeVersion: z.string().optional() })
  .strict();
export type ToyWebhookSpec = z.infer<typeof ToyWebhookSpec>;
