import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Response } from 'undici';
import * as z from 'zod';
import { ObjectList, Status } from './schema.js';

/**
 * List and watch of any collection path, authenticated by `@kubernetes/client-node`'s KubeConfig (token,
 * client certificate, exec plugin, in-cluster service account). The reads are ours, not the client's
 * `Watch`, because the API server is not trusted to be sane (threat model: a hostile runtime): a list
 * answer, a watch event and a watch stream's life are bounded, and junk is an error, never silently skipped
 * (the client's `Watch` buffers a line of any length and ignores lines that are not JSON).
 */

/** A failed Kubernetes request, with the HTTP status (410 Gone: the resource version expired). */
export class KubeStatusError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'KubeStatusError';
  }
}

/** The API server answered something no API server sends (too big, too many, not JSON, not an event). */
export class KubeProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeProtocolError';
  }
}

export const isGone = (err: unknown) => err instanceof KubeStatusError && err.status === 410;
export const isNotFound = (err: unknown) => err instanceof KubeStatusError && err.status === 404;
export const isForbidden = (err: unknown) => err instanceof KubeStatusError && err.status === 403;

/** What one answer may cost. A real API server's object is at most ~1.5 MiB (etcd's default request limit). */
export interface ReadBounds {
  /** Bytes of one list page. Default 64 MiB. */
  maxPageBytes?: number;
  /** Characters of one watch event line. Default 8 MiB. */
  maxEventBytes?: number;
  /** Time for one list page, headers to last byte: a server trickling a page is left. Default 60 s. */
  listTimeoutMs?: number;
}
const DEFAULT_PAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_EVENT_BYTES = 8 * 1024 * 1024;
const DEFAULT_LIST_TIMEOUT_MS = 60_000;

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continue?: string;
}

async function get(kc: KubeConfig, url: URL, signal?: AbortSignal): Promise<Response> {
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  const res = await fetch(url, {
    headers: ctx.getHeaders(),
    dispatcher: ctx.getDispatcher(),
    // The kubeconfig's credentials (headers, client certificate) go to the cluster's origin only: an API
    // server does not redirect reads, so a redirect is refused, never followed.
    redirect: 'manual',
    ...(signal ? { signal } : {}),
  });
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => undefined);
    throw new KubeProtocolError(`GET ${url.pathname}: redirected (HTTP ${res.status}), not followed`);
  }
  return res;
}

function urlOf(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): URL {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  return url;
}

/** The whole body, refused past `max` bytes (the connection is dropped, not drained). */
async function readCapped(res: Response, max: number, what: string): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) {
      await res.body.cancel().catch(() => undefined);
      throw new KubeProtocolError(`${what}: the answer is larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function statusError(res: Response, what: string): Promise<KubeStatusError> {
  const text = await readCapped(res, 64 * 1024, what).catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const status = Status.safeParse(body);
  const why = status.success ? (status.data.message ?? status.data.reason)?.slice(0, 500) : undefined;
  return new KubeStatusError(`${what}: HTTP ${res.status}${why ? `: ${why}` : ''}`, res.status);
}

export async function listPage(
  kc: KubeConfig,
  path: string,
  query: { limit: number; continue?: string | undefined },
  signal?: AbortSignal,
  bounds: ReadBounds = {},
): Promise<ListPage> {
  const what = `GET ${path}`;
  const ms = bounds.listTimeoutMs ?? DEFAULT_LIST_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(ms);
  const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
  let text: string;
  try {
    const res = await get(kc, urlOf(kc, path, query), both);
    if (!res.ok) throw await statusError(res, what);
    text = await readCapped(res, bounds.maxPageBytes ?? DEFAULT_PAGE_BYTES, what);
  } catch (err) {
    if (deadline.aborted && !signal?.aborted)
      throw new KubeProtocolError(`${what}: the page took longer than ${ms} ms`);
    throw err;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new KubeProtocolError(`${what}: the answer is not JSON`);
  }
  const parsed = ObjectList.safeParse(body);
  if (!parsed.success) throw new KubeProtocolError(`${what}: the answer is not a list`);
  const list = parsed.data;
  if (list.items.length > query.limit)
    throw new KubeProtocolError(`${what}: ${list.items.length} items answered for limit=${query.limit}`);
  return {
    items: list.items,
    resourceVersion: list.metadata.resourceVersion ?? '',
    ...(list.metadata.continue ? { continue: list.metadata.continue } : {}),
  };
}

export type WatchEvent = { type: string; object: unknown };
const WireEvent = z.object({ type: z.string().max(32), object: z.unknown() });

/**
 * One watch stream from `resourceVersion`, with bookmarks. Resolves when the stream ends (server timeout,
 * connection dropped, `abort`, or `timeoutSeconds` + a grace passed: a server that never ends a watch, or
 * went silent, is left); rejects with a KubeStatusError on an HTTP error or an `ERROR` event, and with a
 * KubeProtocolError on a line that is too long, not JSON or not an event.
 */
export async function watchOnce(
  kc: KubeConfig,
  path: string,
  resourceVersion: string,
  timeoutSeconds: number,
  onEvent: (e: WatchEvent) => void,
  signal: AbortSignal,
  bounds: ReadBounds = {},
): Promise<void> {
  const what = `watch ${path}`;
  const max = bounds.maxEventBytes ?? DEFAULT_EVENT_BYTES;
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener('abort', stop, { once: true });
  const deadline = setTimeout(stop, timeoutSeconds * 1000 + 30_000);
  deadline.unref();
  try {
    const url = urlOf(kc, path, { watch: true, resourceVersion, allowWatchBookmarks: true, timeoutSeconds });
    const res = await get(kc, url, controller.signal);
    if (res.status !== 200) throw await statusError(res, what);
    if (!res.body) return;
    const decoder = new TextDecoder();
    const lines = new LineSplitter(
      max,
      () => new KubeProtocolError(`${what}: an event larger than ${max} bytes`),
    );
    for await (const chunk of res.body as AsyncIterable<Uint8Array>)
      for (const line of lines.push(decoder.decode(chunk, { stream: true }))) {
        const trimmed = line.trim();
        if (trimmed) deliver(trimmed, what, onEvent);
      }
  } catch (err) {
    if (controller.signal.aborted && !(err instanceof KubeStatusError || err instanceof KubeProtocolError))
      return;
    throw err;
  } finally {
    clearTimeout(deadline);
    signal.removeEventListener('abort', stop);
    controller.abort();
  }
}

/**
 * Splits a stream into lines: each chunk is searched once and kept until its line ends (not re-scanned, not
 * copied per chunk), so a line arriving in many chunks costs its length, not its length squared. A line,
 * ended or not, longer than `max` characters is refused.
 */
export class LineSplitter {
  private parts: string[] = [];
  private size = 0;
  constructor(
    private readonly max: number,
    private readonly tooLong: () => Error,
  ) {}

  /** The lines `text` ends (without their newline). */
  push(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      this.add(text.slice(start, nl));
      out.push(this.parts.join(''));
      this.parts = [];
      this.size = 0;
      start = nl + 1;
    }
    if (start < text.length) this.add(text.slice(start));
    return out;
  }

  private add(part: string): void {
    this.size += part.length;
    if (this.size > this.max) throw this.tooLong();
    this.parts.push(part);
  }
}

function deliver(line: string, what: string, onEvent: (e: WatchEvent) => void): void {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new KubeProtocolError(`${what}: a line that is not JSON`);
  }
  const e = WireEvent.safeParse(raw);
  if (!e.success) throw new KubeProtocolError(`${what}: a line that is not a watch event`);
  if (e.data.type === 'ERROR') {
    const s = Status.safeParse(e.data.object);
    const why = s.success ? (s.data.message ?? s.data.reason ?? 'error').slice(0, 500) : 'error';
    throw new KubeStatusError(`${what}: ${why}`, s.success ? (s.data.code ?? 500) : 500);
  }
  onEvent({ type: e.data.type, object: e.data.object });
}
