import { z } from 'zod';
import { ResourceName } from '../../domain/names.js';

export const API_VERSION = 'imagetrail.dev/v1alpha1';

export const Metadata = z.object({
  name: ResourceName,
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type Metadata = z.infer<typeof Metadata>;

/** age X25519 recipients (public keys), as printed by `age-keygen -y`. */
export const AgeRecipient = z
  .string()
  .regex(/^age1[02-9ac-hj-np-z]{58}$/, 'must be an age X25519 recipient (age1… , 62 characters)');

/**
 * A secret field as stored in Git: an ASCII-armored age file, encrypted for the listed recipients
 * (each applicable runtime plus the control plane). Decrypts with `age -d -i KEY`.
 */
export const SealedValue = z.object({
  sealed: z
    .string()
    .startsWith('-----BEGIN AGE ENCRYPTED FILE-----', 'must be an ASCII-armored age file')
    .max(64 * 1024),
  recipients: z.array(AgeRecipient).min(1),
});
export type SealedValue = z.infer<typeof SealedValue>;

/** The envelope every resource file shares; kinds are told apart before their spec is validated. */
export const Envelope = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.object({ name: z.unknown() }).passthrough(),
});
