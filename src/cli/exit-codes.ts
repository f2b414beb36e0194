import { ERROR_CODEC, EXIT } from '../domain/error-codec.js';
import type { ErrorKind } from '../domain/errors.js';

export { EXIT };

/** The exit code of an error kind (the one codec: src/domain/error-codec.ts). */
export function exitCodeFor(kind: ErrorKind): number {
  return ERROR_CODEC[kind].exit;
}

/** Thrown by a command that already printed its outcome and only needs a non-zero exit. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
