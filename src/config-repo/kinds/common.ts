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

// Sealed values are browser-safe (integration type definitions mark their secrets with them).
export { AgeRecipient, SealedValue } from '../../contract/sealed-value.js';

/** The envelope every resource file shares; kinds are told apart before their spec is validated. */
export const Envelope = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.object({ name: z.unknown() }).passthrough(),
});
