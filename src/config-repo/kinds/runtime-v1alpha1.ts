import * as z from 'zod';
import { SemVer } from '../../domain/semver.js';
import { AgeRecipient, API_VERSION, Metadata } from './common.js';

/**
 * `runtimes/<name>/runtime.yaml`. A runtime runs registry work: `hybrid` inside the user's infrastructure
 * with the user's cloud identity, `hosted` on shared infrastructure with none. Only the public age
 * recipient is stored; the private identity stays where the runtime runs.
 */
export const RuntimeV1alpha1 = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('Runtime'),
  metadata: Metadata,
  spec: z.object({
    type: z.enum(['hybrid', 'hosted']),
    version: SemVer,
    recipient: AgeRecipient,
    description: z.string().max(500).optional(),
  }),
});
export type RuntimeV1alpha1 = z.infer<typeof RuntimeV1alpha1>;
export type RuntimeType = RuntimeV1alpha1['spec']['type'];
