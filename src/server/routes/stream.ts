import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { isAppError } from '../../domain/errors.js';
import type { Redactor } from '../../logging/redactor.js';
import type { IntegrationCheck } from '../../integrations/types/test-result.js';

/**
 * Connection tests can take seconds per check. Clients that ask for NDJSON (`Accept: application/x-ndjson`)
 * get each check as it finishes and then one final line, so a UI always sees an end: either
 * `{"type":"result",…}` or `{"type":"error",…}`.
 */
export function wantsStream(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('application/x-ndjson');
}

export function streamChecks(
  c: Context,
  redactor: Redactor,
  run: (onCheck: (check: IntegrationCheck) => void) => Promise<unknown>,
): Response {
  c.header('Content-Type', 'application/x-ndjson');
  c.header('Cache-Control', 'no-store');
  return stream(c, async (s) => {
    const line = (v: unknown) => s.write(redactor.redact(JSON.stringify(v)) + '\n');
    try {
      const result = await run((check) => void line({ type: 'check', check }));
      await line({ type: 'result', result });
    } catch (err) {
      const body = isAppError(err)
        ? {
            name: err.name,
            message: err.message,
            hints: err.hints,
            details: err.details,
            ...('result' in err ? { result: (err as { result: unknown }).result } : {}),
          }
        : { name: 'InternalError', message: 'The test could not be completed because of an internal error.' };
      await line({ type: 'error', error: body });
    }
  });
}
