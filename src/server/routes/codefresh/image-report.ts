import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { Principal } from '../../../store/token-store.js';
import type { ReportView } from '../../../contract/images.js';
import { cfReportBody, readCfVariables, type CfNote } from '../../../enrichment/codefresh/cf-variables.js';
import { mapError } from '../../error-handler.js';
import { cfQueryVariables } from './query.js';
import type { CodefreshDeps } from './routes.js';

/**
 * `GET /app-proxy/api/image-report` (and `/api/image-report`, the client's CF_LOCAL path): Codefresh's
 * report-image client, unchanged. The variables become the same durable report as
 * `POST /api/v1/image-reports`; the answer is Server-Sent Events the client understands (`src/main.ts`):
 * `info` per step, `warn` per ignored variable, `workflow-log` when a runtime starts an attempt,
 * `heartbeat` (the next interval, ms), then `end` or `error` ({name, message}). The client never
 * reconnects; if it goes away the report carries on and can be read with `imagetrail images report ID`.
 *
 * Every failure, including a refused token, is sent as an `error` event on a 200 stream when the client
 * asked for `text/event-stream`: that is the only way this client prints a reason (on a non-200 status
 * it prints "Unknown error"). Others get the usual JSON error with its status.
 */

type Step = ReportView['steps'][number];

/** Stream the error a request failed with, as the client's `error` event. */
function streamError(c: Context, deps: CodefreshDeps, err: unknown): Response {
  return streamSSE(c, async (s) => {
    await s.writeSSE({ event: 'error', data: JSON.stringify(errorData(err, deps)) });
  });
}

function errorData(err: unknown, deps: CodefreshDeps): { name: string; message: string } {
  const mapped = mapError(err);
  if (mapped.status >= 500) {
    const id = randomUUID();
    deps.logger.error({ errorId: id, err }, 'Codefresh image report failed');
    return { name: mapped.name, message: `${mapped.message} (error id ${id})` };
  }
  const hints = mapped.hints.length ? ` (${mapped.hints.join(' ')})` : '';
  const details = mapped.details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message));
  const message =
    details.length && !mapped.message.includes(':')
      ? `${mapped.message} ${details.join('; ')}`
      : mapped.message;
  return { name: mapped.name, message: deps.redactor.redact(message + hints) };
}

function stepLine(s: Step): string {
  const mark = s.status === 'failed' ? '✘' : s.status === 'skipped' ? '-' : '✔';
  return `${mark} ${s.name}${s.message ? `: ${s.message}` : ''}`;
}

export async function imageReport(
  c: Context,
  deps: CodefreshDeps,
  principal: () => Promise<Principal>,
): Promise<Response> {
  const sse = (c.req.header('accept') ?? '').includes('text/event-stream');
  let accepted: { id: string; runtime: string };
  let notes: CfNote[];
  let image: string;
  try {
    const who = await principal();
    const q = cfQueryVariables(new URL(c.req.url));
    const read = readCfVariables(q.vars, 'server');
    const runtime = c.req.param('runtime');
    // The runtime the client looked up (its CF_RUNTIME_NAME) is in the path it was given.
    if (runtime) read.values.runtime = runtime;
    notes = [...q.notes, ...read.notes];
    const body = cfReportBody(read.values, notes);
    accepted = await deps.reports.accept(body, who);
    image = String(body['image']);
  } catch (err) {
    if (!sse) throw err;
    if (mapError(err).status < 500) {
      deps.logger.info({ path: c.req.path, name: mapError(err).name }, 'Codefresh image report refused');
    }
    return streamError(c, deps, err);
  }
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, (s) => follow(s, deps, accepted, image, notes));
}

async function follow(
  s: SSEStreamingApi,
  deps: CodefreshDeps,
  accepted: { id: string; runtime: string },
  image: string,
  notes: CfNote[],
): Promise<void> {
  const timers = deps.stream;
  const send = (event: string, data: string) => s.writeSSE({ event, data: deps.redactor.redact(data) });
  const heartbeat = setInterval(() => void send('heartbeat', String(timers.heartbeatMs)), timers.heartbeatMs);
  s.onAbort(() => clearInterval(heartbeat));
  try {
    await send('heartbeat', String(timers.heartbeatMs));
    await send('info', `Report ${accepted.id} accepted for ${image} on runtime ${accepted.runtime}`);
    for (const n of notes) await send(n.level, n.text);
    const deadline = Date.now() + timers.maxWaitMs;
    let printed = 0;
    let attempts = 0;
    let delay = timers.pollMs;
    while (!s.aborted) {
      const r = await deps.reports.get(accepted.id);
      if (r.attempts > attempts) {
        attempts = r.attempts;
        const content = `attempt ${attempts} of report ${accepted.id} started`;
        await send('workflow-log', JSON.stringify({ podName: `runtime/${accepted.runtime}`, content }));
      }
      for (const step of r.steps.slice(printed)) await send('info', stepLine(step));
      printed = r.steps.length;
      if (r.status === 'succeeded') {
        await send(
          'end',
          `Enriched ${r.image}: ${r.result?.digest ?? ''} (image ${r.result?.imageId ?? '?'})`,
        );
        return;
      }
      if (r.status === 'failed') {
        const name = r.error?.errorClass ?? 'EnrichmentFailed';
        const message = `Enrichment of ${r.image} failed: ${r.error?.message ?? 'unknown reason'}`;
        await send('error', JSON.stringify({ name, message }));
        return;
      }
      if (Date.now() > deadline) {
        const message = `Report ${accepted.id} is still ${r.status} after ${Math.round(timers.maxWaitMs / 1000)} s; it keeps going on the server (imagetrail images report ${accepted.id}).`;
        await send('error', JSON.stringify({ name: 'Timeout', message }));
        return;
      }
      await s.sleep(delay);
      delay = Math.min(1000, Math.round(delay * 1.5));
    }
  } catch (err) {
    if (!s.aborted) await send('error', JSON.stringify(errorData(err, deps)));
  } finally {
    clearInterval(heartbeat);
  }
}
