import * as z from 'zod';
import { ResourceName } from '../../domain/names.js';

export const API_VERSION = 'imagetrail.dev/v1alpha1';

// Kubernetes' rules for label and annotation keys (optional DNS-subdomain prefix, then a name) and
// label values: Argo CD applies these resources to a cluster, which would refuse anything else.
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const MetadataKey = z
  .string()
  .max(317, 'must be at most 253 characters of prefix, a slash and 63 of name')
  .regex(
    QUALIFIED_NAME,
    'must be a Kubernetes key: an optional DNS prefix and a slash, then up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (e.g. team or example.com/team)',
  );
const LabelValue = z
  .string()
  .regex(
    /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/,
    'must be empty or up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  );

export const Metadata = z.object({
  name: ResourceName,
  labels: z.record(MetadataKey, LabelValue).optional(),
  annotations: z.record(MetadataKey, z.string().max(64 * 1024)).optional(),
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
