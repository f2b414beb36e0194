import { createHash } from 'node:crypto';
import { InputError } from '../../../domain/errors.js';
import { parseDigest } from './reference.js';

// Checks on what goes into a registry URL, and on what comes back addressed by a digest.

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export function validateRepository(repository: string): void {
  if (repository.length > 255 || !REPOSITORY.test(repository)) {
    throw new InputError(
      `Invalid repository name ${JSON.stringify(repository)}: lowercase path components of letters and digits separated by ".", "_", "__", "-" or "/"`,
    );
  }
}

export function validateReference(reference: string): void {
  if (reference.includes(':')) parseDigest(reference);
  else if (!TAG.test(reference)) throw new InputError(`Invalid tag ${JSON.stringify(reference)}`);
}

export function sha(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Verifies `bytes` against `digest` with the digest's own algorithm. */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  const algorithm = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
  return sha(bytes, algorithm) === digest;
}
