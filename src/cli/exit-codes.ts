import type { ErrorKind } from '../domain/errors.js';

/**
 * THE mapping of the error taxonomy to exit codes (the CLI contract): 0 ok; 1 the thing asked failed
 * (a test did not pass, an image was not found); 2 bad usage or input; 3 cannot reach or authenticate to
 * the server.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, server: 3 } as const;

export function exitCodeFor(kind: ErrorKind): number {
  switch (kind) {
    case 'input':
    case 'payload-too-large':
      return EXIT.usage;
    case 'authentication':
    case 'not-allowed':
    case 'unreachable':
      return EXIT.server;
    case 'not-found':
    case 'conflict':
    case 'check-failed':
    case 'unavailable':
    case 'internal':
      return EXIT.failed;
  }
}

/** Thrown by a command that already printed its outcome and only needs a non-zero exit. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
