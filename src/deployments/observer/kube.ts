import { HttpMethod, RequestContext, Watch, type KubeConfig } from '@kubernetes/client-node';
import { fetch } from 'undici';
import { ObjectList, Status } from './schema.js';

/**
 * List and watch of any collection path through `@kubernetes/client-node`: its KubeConfig authenticates
 * (token, client certificate, exec plugin, in-cluster service account) and its `Watch` streams events.
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

export const isGone = (err: unknown) => err instanceof KubeStatusError && err.status === 410;
export const isNotFound = (err: unknown) => err instanceof KubeStatusError && err.status === 404;

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continue?: string;
}

export async function listPage(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | undefined>,
  signal?: AbortSignal,
): Promise<ListPage> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(cluster.server + path);
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  const res = await fetch(url, {
    headers: ctx.getHeaders(),
    dispatcher: ctx.getDispatcher(),
    ...(signal ? { signal } : {}),
  });
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const status = Status.safeParse(body);
    const why = status.success ? (status.data.message ?? status.data.reason) : undefined;
    throw new KubeStatusError(`GET ${path}: HTTP ${res.status}${why ? `: ${why}` : ''}`, res.status);
  }
  const list = ObjectList.parse(body);
  return {
    items: list.items,
    resourceVersion: list.metadata.resourceVersion ?? '',
    ...(list.metadata.continue ? { continue: list.metadata.continue } : {}),
  };
}

export type WatchEvent = { type: string; object: unknown };

/**
 * One watch stream from `resourceVersion`, with bookmarks. Resolves when the stream ends (server timeout,
 * connection dropped, `abort`); rejects with a KubeStatusError on an HTTP error or an `ERROR` event.
 */
export function watchOnce(
  kc: KubeConfig,
  path: string,
  resourceVersion: string,
  timeoutSeconds: number,
  onEvent: (e: WatchEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed: Error | undefined;
    let controller: AbortController | undefined;
    const stop = () => controller?.abort();
    const finish = (err: unknown) => {
      signal.removeEventListener('abort', stop);
      const e = failed ?? (err ? toError(err) : undefined);
      if (e && !signal.aborted) reject(e);
      else resolve();
    };
    new Watch(kc)
      .watch(
        path,
        { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
        (type, object) => {
          if (failed) return;
          if (type === 'ERROR') {
            const s = Status.safeParse(object);
            failed = new KubeStatusError(
              `watch ${path}: ${s.success ? (s.data.message ?? s.data.reason ?? 'error') : 'error'}`,
              s.success ? (s.data.code ?? 500) : 500,
            );
            controller?.abort();
            return;
          }
          onEvent({ type, object });
        },
        finish,
      )
      .then((c) => {
        controller = c;
        if (signal.aborted) c.abort();
        else signal.addEventListener('abort', stop, { once: true });
      }, finish);
  });
}

function toError(err: unknown): Error {
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number') return new KubeStatusError(`watch: HTTP ${status}`, status);
  return err instanceof Error ? err : new Error(String(err));
}
