/**
 * The operational-metrics port. Layers below the server (enrichment, integrations, config repo) report
 * events here; `src/server/metrics/prometheus.ts` turns them into Prometheus series, one registry per
 * server instance. Every argument that becomes a label is a bounded value (a runtime name, a step name
 * from code, an error class): never an image name, a URL, a token or a message.
 */

/** Remote services whose calls are counted. */
export type RemoteService = 'ecr' | 'sts' | 'registry' | 'github' | 'jira' | 'git';

/** `ok`, or the class of the failure (an HTTP status class, `timeout`, `network`, an AWS error name…). */
export type RemoteOutcome = string;

export interface Telemetry {
  /** A report was persisted as a new job (an idempotent replay is not counted again). */
  reportAccepted(runtime: string): void;
  /** A run of a report ended; `retrying` means it failed and goes back to the queue. */
  reportFinished(runtime: string, outcome: 'succeeded' | 'failed' | 'retrying', reasonClass?: string): void;
  /** How long one enrichment step took (the time since the previous step of the same run). */
  enrichmentStep(step: string, seconds: number): void;
  remoteCall(service: RemoteService, operation: string, outcome: RemoteOutcome, seconds: number): void;
  /** A cached registry token (ECR authorization token) was reused, or had to be fetched. */
  tokenCache(cache: string, result: 'hit' | 'miss'): void;
  configSynced(ok: boolean): void;
}

/** For code paths without a server (the CLI, unit tests). */
export const noTelemetry: Telemetry = {
  reportAccepted: () => undefined,
  reportFinished: () => undefined,
  enrichmentStep: () => undefined,
  remoteCall: () => undefined,
  tokenCache: () => undefined,
  configSynced: () => undefined,
};

/** Times a promise-returning call and reports it as a remote call with `classify(err)` as its outcome. */
export async function timedRemoteCall<T>(
  telemetry: Telemetry,
  service: RemoteService,
  operation: string,
  call: () => Promise<T>,
  outcomeOf: (result: T) => RemoteOutcome = () => 'ok',
  classify: (err: unknown) => RemoteOutcome = errorOutcome,
): Promise<T> {
  const start = performance.now();
  try {
    const result = await call();
    telemetry.remoteCall(service, operation, outcomeOf(result), (performance.now() - start) / 1000);
    return result;
  } catch (err) {
    telemetry.remoteCall(service, operation, classify(err), (performance.now() - start) / 1000);
    throw err;
  }
}

/** A bounded outcome label for an error: a known class name, or `error`. */
export function errorOutcome(err: unknown): RemoteOutcome {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') return 'timeout';
  const code =
    (err as { code?: unknown; cause?: { code?: unknown } } | null)?.code ??
    (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return 'network';
  return 'error';
}

/** `2xx` … `5xx` for an HTTP status. */
export function statusClass(status: number): RemoteOutcome {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'invalid';
}
