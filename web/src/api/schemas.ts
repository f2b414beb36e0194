import * as z from 'zod';
import { ErrorBody } from '../../../src/contract/errors.js';
import { Check } from '../../../src/contract/integrations.js';

/**
 * What the dashboard accepts from the API: the shared contract's answer schemas (src/contract/), which the
 * CLI parses with too, plus the dashboard's own stream-line framing. Every response goes through one of
 * these before the UI reads it (no `as` casts of JSON).
 */

// ---- errors ------------------------------------------------------------------------------------------

// The error body is the shared contract's (src/contract/errors.ts).
export { ErrorBody } from '../../../src/contract/errors.js';
export const ErrorPayload = ErrorBody.shape.error;
export type ErrorPayload = z.infer<typeof ErrorPayload>;

// ---- integrations and connection tests (the shared contract, src/contract/integrations.ts) ------------

export {
  Check,
  DeleteResult,
  IntegrationList,
  IntegrationView,
  MutationResult,
  TestResult,
} from '../../../src/contract/integrations.js';

/** One NDJSON line of a streamed test or mutation. The error may carry the failed test's result. */
export const StreamLine = z.discriminatedUnion('type', [
  z.object({ type: z.literal('check'), check: Check }),
  z.object({ type: z.literal('result'), result: z.unknown() }),
  z.object({
    type: z.literal('error'),
    error: ErrorPayload.extend({ result: z.unknown().optional() }),
  }),
]);
export type StreamLine = z.infer<typeof StreamLine>;

// ---- images, reports, deployments, runtimes, tokens, audit, session (the shared contract) ---------------

export { ImageDetail, ImageList, ReportList } from '../../../src/contract/image-answers.js';
export {
  ApplicationList,
  ApplicationView,
  type ApplicationSummary,
  DeploymentInterval,
  ImageDeployments,
  type LeadTime,
  type LeadTimeReport,
  type RunningImage,
} from '../../../src/contract/deployments.js';
export { AuditItem, AuditPage, RuntimeList, RuntimeView } from '../../../src/contract/admin-answers.js';
export { SessionView } from '../../../src/contract/session.js';
