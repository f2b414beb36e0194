import type { KubeConfig } from '@kubernetes/client-node';
import { backoffMs, type Backoff } from '../../domain/retry.js';
import {
  isGone,
  isForbidden,
  isNotFound,
  KubeProtocolError,
  listPage,
  watchOnce,
  type ReadBounds,
  type WatchEvent,
} from './kube.js';

/**
 * A reflector in the client-go sense: list (paged), then watch from the list's resourceVersion, keeping a
 * local cache of projected objects. Kubernetes API concepts ("Efficient detection of changes", "Watch
 * bookmarks", "Retrieving large results sets in chunks"): a watch resumes from the last version seen
 * (an event's or a bookmark's); `410 Gone` means that version is no longer in the server's history, and
 * the only recovery is a fresh list. `relist()` forces one (the periodic full resync).
 */

export interface ReflectorOptions<T> {
  kc: KubeConfig;
  /** Collection path across namespaces, e.g. `/api/v1/pods`. */
  path: string;
  /** Key and projection of a raw object; null drops it (not of interest, or malformed). */
  project: (raw: unknown) => { key: string; value: T | null } | null;
  /** Something in the cache changed. */
  onChange: () => void;
  /** The cache was replaced by a list (first sync, 410 Gone, resync). */
  onListed: () => void;
  onError?: (err: unknown, path: string) => void;
  /**
   * The collection may not exist (a CRD not installed) or not be granted (a role without it): 404 and 403
   * are "empty" (403 reported), retried at the next relist, and the other informers report meanwhile.
   */
  optional?: boolean;
  pageSize?: number;
  watchTimeoutSeconds?: number;
  /** Objects the cache may hold: past it, the list or watch fails (logged), and memory stays bounded. */
  maxObjects?: number;
  bounds?: ReadBounds;
  /** Backoff after a failure, doubling up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface ReflectorStats {
  path: string;
  lists: number;
  watches: number;
  gone: number;
  events: number;
  bookmarks: number;
  errors: number;
}

/** The watches' and the sends' backoff: doubling from min to max, no jitter (one observer, one peer each). */
export function retryPolicy(o: { minBackoffMs?: number; maxBackoffMs?: number }): Backoff {
  return { baseMs: o.minBackoffMs ?? 200, maxMs: o.maxBackoffMs ?? 30_000, jitter: 'none' };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export class Reflector<T> {
  readonly items = new Map<string, T>();
  synced = false;
  /** The collection does not exist on this server (optional CRD). */
  missing = false;
  private resourceVersion = '';
  private needList = true;
  private current?: AbortController;
  readonly stats: ReflectorStats;

  constructor(private readonly o: ReflectorOptions<T>) {
    this.stats = { path: o.path, lists: 0, watches: 0, gone: 0, events: 0, bookmarks: 0, errors: 0 };
  }

  /** Drops the current list or watch and lists again. */
  relist(): void {
    this.needList = true;
    this.current?.abort();
  }

  async run(signal: AbortSignal): Promise<void> {
    const policy = retryPolicy(this.o);
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (this.needList) await this.list(signal);
        // A list dropped by relist(): list again.
        if (this.needList) continue;
        if (this.missing) {
          // Wait for the next relist (resync) before asking again.
          await this.waitForRelist(signal);
          continue;
        }
        const seen = this.stats.events + this.stats.bookmarks;
        await this.watch(signal);
        // A watch that ends at once with nothing in it (a broken or hostile server) is retried with
        // backoff, not in a tight loop.
        if (this.stats.events + this.stats.bookmarks > seen || this.needList) failures = 0;
        else await sleep(backoffMs(policy, failures++), signal);
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          this.stats.gone++;
          this.needList = true;
          continue;
        }
        // Past junk or an overflow the stream's position and the cache are not to be trusted: list again.
        if (err instanceof KubeProtocolError) this.needList = true;
        this.stats.errors++;
        this.o.onError?.(err, this.o.path);
        await sleep(backoffMs(policy, failures++), signal);
      }
    }
  }

  private async waitForRelist(signal: AbortSignal): Promise<void> {
    const c = new AbortController();
    this.current = c;
    const stop = () => c.abort();
    signal.addEventListener('abort', stop, { once: true });
    await sleep(2 ** 31 - 1, c.signal);
    signal.removeEventListener('abort', stop);
  }

  private async list(signal: AbortSignal): Promise<void> {
    const next = new Map<string, T>();
    let token: string | undefined;
    let rv: string;
    const limit = this.o.pageSize ?? 500;
    // A server that answers `continue` forever (empty pages) is stopped like one with too many objects.
    const maxPages = Math.ceil(this.maxObjects() / limit) + 1;
    // The list in flight is what relist() drops (a trickling page is also left at its own deadline).
    const c = new AbortController();
    this.current = c;
    const stop = () => c.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      let pages = 0;
      do {
        if (++pages > maxPages)
          throw new KubeProtocolError(`GET ${this.o.path}: the list did not end after ${maxPages} pages`);
        const page = await listPage(
          this.o.kc,
          this.o.path,
          { limit, continue: token },
          c.signal,
          this.o.bounds,
        );
        for (const raw of page.items) {
          const p = this.projected(raw);
          if (p?.value != null) next.set(p.key, p.value);
          this.checkSize(next.size);
        }
        rv = page.resourceVersion;
        token = page.continue;
      } while (token);
    } catch (err) {
      if (c.signal.aborted && !signal.aborted) return;
      if (this.o.optional && (isNotFound(err) || isForbidden(err))) {
        if (isForbidden(err)) this.o.onError?.(err, this.o.path);
        this.replace(new Map(), '');
        this.missing = true;
        return;
      }
      throw err;
    } finally {
      signal.removeEventListener('abort', stop);
    }
    // relist() after the last page: that list is already stale.
    if (c.signal.aborted) return;
    this.missing = false;
    this.replace(next, rv);
  }

  private maxObjects(): number {
    return this.o.maxObjects ?? 200_000;
  }

  private checkSize(size: number): void {
    if (size > this.maxObjects())
      throw new KubeProtocolError(`${this.o.path}: more than ${this.maxObjects()} objects, not cached`);
  }

  private replace(next: Map<string, T>, rv: string): void {
    this.items.clear();
    for (const [k, v] of next) this.items.set(k, v);
    this.resourceVersion = rv;
    this.needList = false;
    this.synced = true;
    this.stats.lists++;
    this.o.onListed();
    this.o.onChange();
  }

  private async watch(signal: AbortSignal): Promise<void> {
    const c = new AbortController();
    this.current = c;
    const stop = () => c.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.stats.watches++;
    try {
      await watchOnce(
        this.o.kc,
        this.o.path,
        this.resourceVersion,
        this.o.watchTimeoutSeconds ?? 290,
        (e) => this.apply(e),
        c.signal,
        this.o.bounds,
      );
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private apply(e: WatchEvent): void {
    const rv = (e.object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') {
      // A bookmark carries only a resourceVersion: where to resume, with nothing to apply.
      this.stats.bookmarks++;
      if (typeof rv === 'string') this.resourceVersion = rv;
      return;
    }
    const p = this.projected(e.object);
    if (p && e.type !== 'DELETED' && p.value !== null && !this.items.has(p.key))
      this.checkSize(this.items.size + 1);
    if (typeof rv === 'string') this.resourceVersion = rv;
    if (!p) return;
    this.stats.events++;
    if (e.type === 'DELETED' || p.value === null) this.items.delete(p.key);
    else this.items.set(p.key, p.value);
    this.o.onChange();
  }

  /** A projection that throws (an object no API server would send) drops the object, like a malformed one. */
  private projected(raw: unknown) {
    try {
      return this.o.project(raw);
    } catch {
      return null;
    }
  }
}
