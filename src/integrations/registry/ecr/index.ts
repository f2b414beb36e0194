export { parseEcrHost, ecrRegistryHost, isKnownRegion, notEcrHostReason, type EcrHost } from './host.js';
export { AWS_PARTITIONS, EcrRegion, partitionOf, type AwsPartition, type PartitionId } from './partitions.js';
export { CLASS_RETRY, isTransientClass, codeEntry, imageFailureEntry } from './codes/index.js';
export {
  EcrClientCache,
  secretFingerprint,
  type EcrClientCacheOptions,
  type ClientRequest,
  type EcrAuthToken,
  type EcrCredentials,
} from './clients.js';
export {
  integrationCredentials,
  ambientCredentials,
  defaultSessionName,
  MAX_CHAINED_SESSION_SECONDS,
  type EcrAuth,
  type IamRoleAuth,
  type AccessKeyAuth,
  type RuntimeIdentity,
  type CredentialsDeps,
} from './credentials.js';
export {
  classifyAwsError,
  managedPolicyFor,
  policyPrincipalArn,
  trustPolicyStatement,
  NoAmbientCredentialsError,
  RegistryHttpError,
  READ_ONLY_ACTIONS,
  type AwsErrorClass,
  type ClassifiedAwsError,
  type ClassifyContext,
} from './errors.js';
export { ecrTokenAuth, ecrTokenInHand, type EcrRegistryAuthDeps } from './registry-auth.js';
export {
  testEcrConnection,
  EcrConnectionInput,
  PROBE_REPOSITORY,
  type EcrProbeContext,
  type EcrProbeOptions,
  type EcrCheck,
  type ProbeCheck,
  type EcrCheckName,
  type EcrCallerIdentity,
  type EcrTestResult,
} from './probe.js';
