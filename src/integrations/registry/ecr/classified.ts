import type { Redactor } from '../../../logging/redactor.js';
import type { AwsErrorClass } from './codes/index.js';

// What classifying an AWS, socket or registry failure yields, and what the classifier needs to know about
// the call; shared by errors.ts (the classifier) and access-denied.ts (the IAM advice).

export interface ClassifiedAwsError {
  errorClass: AwsErrorClass;
  /** Redacted; safe to show and log. */
  message: string;
  /** Redacted; concrete fixes, printed as "Try this:". */
  hints: string[];
  /** The IAM action that failed, when known (from the message or the context). */
  action?: string;
}

export interface ClassifyContext {
  redactor: Redactor;
  /** IAM action the failing call needed, e.g. `ecr:DescribeImages` or `sts:AssumeRole`. */
  action?: string;
  /** Role being assumed (role mode). */
  roleArn?: string;
  externalId?: string;
  /** Principal making the call when known from an earlier GetCallerIdentity; used when AWS does not name it. */
  callerArn?: string;
  /** Where the call went, for unreachable/timeout messages. */
  endpoint?: string;
  region?: string;
  /** Whether the region is listed in the SDK's partition data; turns DNS failures into `unknown-region`. */
  regionKnown?: boolean;
  /** Whose credentials were used, for key errors: "the access key AKIA…", "the runtime's identity". */
  credentialsLabel?: string;
}
