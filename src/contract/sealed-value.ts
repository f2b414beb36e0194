import * as z from 'zod';

/**
 * The stored form of a secret, browser-safe so integration type definitions (which the dashboard bundles)
 * can mark their secret fields with it. A field whose schema is `SealedValue` is a secret: sealing,
 * re-sealing, redaction and the docs tables find secrets by this schema, never by a list of names.
 */

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
