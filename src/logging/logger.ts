import { pino, type Logger as PinoLogger } from 'pino';
import { secretFieldNames } from '../integrations/types/definitions.js';
import type { Redactor } from './redactor.js';

export type Logger = PinoLogger;

/**
 * Field names that must never be logged whatever their value: every integration type's sealed fields (from
 * the type definitions, so a new type's secret is covered) and the transport secrets below.
 */
const REDACT_PATHS = unique([
  ...secretFieldNames().flatMap((k) => [k, `*.${k}`]),
  'sessionToken',
  '*.sessionToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
]);

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}

/**
 * JSON logs to stderr (stdout is for `--json` output). Every message and string field passes through
 * the process's redactor, so a registered secret cannot reach the log even inside an error message.
 */
export function createLogger(
  redactor: Redactor,
  options: { level?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? process.env['IMAGETRAIL_LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((a: unknown) => redactor.redactValue(a)) as Parameters<typeof method>;
          method.apply(this, redacted);
        },
      },
      serializers: {
        err: (e: unknown) => {
          if (e instanceof Error) {
            return {
              type: e.name,
              message: redactor.redact(e.message),
              stack: redactor.redact(e.stack ?? ''),
            };
          }
          return redactor.redactValue(e);
        },
      },
    },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}
