import { InputError } from '../domain/errors.js';

/**
 * The runtime a report or inspection runs on: the one named, else the server's in-process runtime. A server
 * started with --no-local-runtime has none, so the caller must name one.
 */
export function runtimeOrLocal(requested: string | undefined, localRuntime: string | undefined): string {
  if (requested !== undefined) return requested;
  if (localRuntime !== undefined) return localRuntime;
  throw new InputError('This server has no in-process runtime (--no-local-runtime): name the runtime.', {
    details: [{ path: 'runtime', message: 'required on a server without a local runtime' }],
    hints: [
      'Set CF_RUNTIME_NAME (or "runtime" in the request) to a runtime listed by: imagetrail runtime list',
    ],
  });
}
