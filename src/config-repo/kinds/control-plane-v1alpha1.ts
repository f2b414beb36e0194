import * as z from 'zod';
import { AgeRecipient, API_VERSION, Metadata } from './common.js';

/**
 * `resources/control-planes/control-plane.yaml`: the control plane's own age recipient. Every sealed
 * secret is also sealed for it, so the control plane can re-seal when a runtime joins or leaves.
 */
export const ControlPlaneV1alpha1 = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('ControlPlane'),
  metadata: Metadata,
  spec: z.object({ recipient: AgeRecipient }),
});
export type ControlPlaneV1alpha1 = z.infer<typeof ControlPlaneV1alpha1>;
