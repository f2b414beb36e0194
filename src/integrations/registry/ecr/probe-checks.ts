import type { Redactor } from '../../../logging/redactor.js';
import { classifyAwsError, type AwsErrorClass, type ClassifyContext } from './errors.js';
import type { EcrCheck, EcrCheckName } from './probe-types.js';

export type CheckOutcome<T> =
  | { ok: true; value: T; check: EcrCheck; errorClass?: undefined }
  | { ok: false; errorClass: AwsErrorClass; check: EcrCheck };

/** One check to run: what it calls, and how to say what it found. */
export interface CheckSpec<T> {
  name: EcrCheckName;
  /** IAM action the check exercises. */
  action?: string | undefined;
  /** Where the call goes, for unreachable/timeout messages. */
  endpoint: string;
  fn: () => Promise<T>;
  context: Partial<ClassifyContext>;
  describe: (value: T) => string;
}

/**
 * Runs the checks of one connection test: times each, turns a thrown error into a failed check with a
 * classified, redacted message, streams each as it ends, and keeps them in the documented order.
 */
export class CheckRecorder {
  readonly checks: EcrCheck[] = [];

  constructor(
    private readonly ctx: { redactor: Redactor; region: string; regionKnown: boolean },
    private readonly onCheck: ((check: EcrCheck) => void) | undefined,
  ) {}

  /** With `record` false the caller appends the check (concurrent checks keep the documented order). */
  async run<T>(spec: CheckSpec<T>, record = true): Promise<CheckOutcome<T>> {
    const start = performance.now();
    const ms = (): number => Math.round(performance.now() - start);
    const action = spec.action ? { action: spec.action } : {};
    try {
      const value = await spec.fn();
      const message = this.ctx.redactor.redact(spec.describe(value));
      const check: EcrCheck = { name: spec.name, ok: true, message, ...action, durationMs: ms() };
      this.emit(check, record);
      return { ok: true, value, check };
    } catch (err) {
      const c = classifyAwsError(err, {
        redactor: this.ctx.redactor,
        ...action,
        endpoint: spec.endpoint,
        region: this.ctx.region,
        regionKnown: this.ctx.regionKnown,
        ...spec.context,
      });
      const failedAction = c.action ?? spec.action;
      const check: EcrCheck = {
        name: spec.name,
        ok: false,
        message: c.message,
        errorClass: c.errorClass,
        hints: c.hints,
        ...(failedAction ? { action: failedAction } : {}),
        durationMs: ms(),
      };
      this.emit(check, record);
      return { ok: false, errorClass: c.errorClass, check };
    }
  }

  skipped(name: EcrCheckName, message: string, record = true): { ok: false; check: EcrCheck } {
    const check: EcrCheck = { name, ok: false, skipped: true, message, durationMs: 0 };
    this.emit(check, record);
    return { ok: false, check };
  }

  emit(check: EcrCheck, record = true): void {
    if (record) this.checks.push(check);
    this.onCheck?.(check);
  }

  /** Reports every check of `order` not yet run as skipped because of `reason`. */
  skipRest(order: readonly EcrCheckName[], reason: string): void {
    const done = new Set(this.checks.map((c) => c.name));
    for (const name of order) if (!done.has(name)) this.skipped(name, `Skipped: ${reason}.`);
  }
}
