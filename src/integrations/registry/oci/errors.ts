import { ConflictError, InputError, UnavailableError, UnreachableError } from '../../../domain/errors.js';

// Registry-specific refinements of the domain taxonomy. Each extends a domain class so the HTTP edge and
// the CLI map them without knowing they exist; the subclass only lets callers (retry policy, the ECR
// probe, tests) tell the situations apart.

/** The registry kept answering 429 / TOOMANYREQUESTS after the retry budget. */
export class RegistryThrottledError extends UnavailableError {}

/** The registry answered 5xx after the retry budget. */
export class RegistryServerError extends UnavailableError {}

/** No answer within the timeout, after the retry budget. */
export class RegistryTimeoutError extends UnavailableError {}

/** The connection was reset or dropped mid-exchange, after the retry budget. */
export class RegistryConnectionError extends UnavailableError {}

/** Connection refused, DNS failure, no route: the endpoint is not there at all. */
export class RegistryUnreachableError extends UnreachableError {}

/**
 * Content did not hash to the digest it was addressed by or announced with. Never retried silently:
 * it means a proxy rewrote the bytes or the tag moved while we read it.
 */
export class DigestMismatchError extends ConflictError {}

/** A manifest or config that is not JSON, or not a shape imagetrail understands. */
export class ManifestFormatError extends InputError {}
