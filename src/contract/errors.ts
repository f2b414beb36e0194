import * as z from 'zod';

/** One field the error is about (`spec.roleArn`), when it is about one. */
export const ErrorDetail = z.object({ path: z.string().optional(), message: z.string() });

/** The body of every refused API request (server: src/server/error-handler.ts; decoded by CLI and dashboard). */
export const ErrorBody = z.object({
  error: z.object({
    name: z.string(),
    message: z.string(),
    hints: z.array(z.string()).default([]),
    details: z.array(ErrorDetail).default([]),
    /** Correlates with the server log line of the same failure. */
    id: z.string().optional(),
  }),
  /** `CheckFailedError.result`: the machine-readable outcome of the check that failed. */
  result: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
