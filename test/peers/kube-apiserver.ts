import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * An in-process stand-in for the Kubernetes API server, on 127.0.0.1:0, reached through a kubeconfig by
 * `@kubernetes/client-node`. It implements only the conventions the deployment observer relies on, each as
 * the Kubernetes API reference describes it (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 *
 * - Resource versions ("Resource versions"): one counter for the whole store, like etcd's revision; every
 *   write bumps it and stamps `metadata.resourceVersion`; a list's `metadata.resourceVersion` is the store's.
 * - Lists in chunks ("Retrieving large results sets in chunks"): `limit` + `continue`; every page of one
 *   list comes from the snapshot the first page was served from; a `continue` token older than the
 *   compacted history answers `410 Gone` (reason `Expired`).
 * - Watches ("Efficient detection of changes"): `?watch=true&resourceVersion=N` streams, chunked, one JSON
 *   event per line (`ADDED`, `MODIFIED`, `DELETED`), starting after N; without a resourceVersion it first
 *   sends the current objects as `ADDED`. A version older than the retained history gets an `ERROR` event
 *   carrying a `Status` with code 410 (reason `Expired`), as the API server sends it on an open watch.
 *   `timeoutSeconds` ends the stream cleanly.
 * - Bookmarks ("Watch bookmarks"): with `allowWatchBookmarks=true`, a `BOOKMARK` event whose object has only
 *   `kind`, `apiVersion` and `metadata.resourceVersion`, every `bookmarkIntervalMs`.
 * - Errors are `Status` objects ("API Overview: Status"), 401 without the bearer token, 404 for a
 *   collection that is not served (a CRD not installed: Argo CD `applications`, Argo Rollouts).
 * - Objects are stored as given: ownerReferences, annotations, Pod status, the Argo CD `Application` shape
 *   (argoproj.io/v1alpha1: spec.destination, spec.project, status.sync, status.health).
 *
 * Not implemented (the observer does not use them): selectors, namespaced paths, `resourceVersionMatch`,
 * watch-list (`sendInitialEvents`), writes over HTTP (tests write through the methods below).
 */

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid?: string;
      controller?: boolean;
    }>;
    creationTimestamp?: string;
  };
  [field: string]: unknown;
}

const BUILTIN: Record<string, { apiVersion: string; kind: string }> = {
  '/api/v1/pods': { apiVersion: 'v1', kind: 'Pod' },
  '/apis/apps/v1/replicasets': { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  '/apis/apps/v1/deployments': { apiVersion: 'apps/v1', kind: 'Deployment' },
  '/apis/apps/v1/statefulsets': { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  '/apis/apps/v1/daemonsets': { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  '/apis/batch/v1/jobs': { apiVersion: 'batch/v1', kind: 'Job' },
  '/apis/batch/v1/cronjobs': { apiVersion: 'batch/v1', kind: 'CronJob' },
};
/** Served only once `installCrd` is called, like a CustomResourceDefinition. */
export const CRDS: Record<string, { apiVersion: string; kind: string }> = {
  '/apis/argoproj.io/v1alpha1/applications': { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
  '/apis/argoproj.io/v1alpha1/rollouts': { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' },
};

export const PATHS = {
  pods: '/api/v1/pods',
  replicasets: '/apis/apps/v1/replicasets',
  deployments: '/apis/apps/v1/deployments',
  statefulsets: '/apis/apps/v1/statefulsets',
  daemonsets: '/apis/apps/v1/daemonsets',
  jobs: '/apis/batch/v1/jobs',
  cronjobs: '/apis/batch/v1/cronjobs',
  applications: '/apis/argoproj.io/v1alpha1/applications',
  rollouts: '/apis/argoproj.io/v1alpha1/rollouts',
} as const;

interface Event {
  rv: number;
  path: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

interface Watcher {
  path: string;
  res: ServerResponse;
}

export interface KubeApiStats {
  lists: number;
  watches: number;
  expired: number;
}

export class FakeKubeApiServer {
  readonly token = randomBytes(16).toString('hex');
  private rv = 100;
  private compactedRv = 0;
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private history: Event[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly snapshots = new Map<string, { rv: number; items: KubeObject[] }>();
  private readonly served = new Set(Object.keys(BUILTIN));
  private server?: Server;
  readonly stats: KubeApiStats = { lists: 0, watches: 0, expired: 0 };
  /** A broken or hostile server's answer instead of the faithful one (test/peers/kube-apiserver-hostile.ts). */
  misbehave?: (url: URL, res: ServerResponse) => boolean;

  constructor(private readonly opts: { bookmarkIntervalMs?: number; historyLimit?: number } = {}) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((ok) => this.server?.listen(0, '127.0.0.1', ok));
    return this.url;
  }

  get url(): string {
    const { port } = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** A kubeconfig file (bearer token user) pointing at this server. */
  writeKubeconfig(dir: string): string {
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        // @kubernetes/client-node refuses plain http unless the cluster skips TLS verification; loopback only.
        `- name: stand-in\n  cluster:\n    server: ${this.url}\n    insecure-skip-tls-verify: true`,
        'users:',
        `- name: observer\n  user:\n    token: ${this.token}`,
        'contexts:',
        '- name: stand-in\n  context:\n    cluster: stand-in\n    user: observer',
        'current-context: stand-in',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return file;
  }

  installCrd(path: string): void {
    if (!CRDS[path]) throw new Error(`unknown CRD collection ${path}`);
    this.served.add(path);
  }

  /** Creates or replaces an object (ADDED or MODIFIED), bumping the resource version. */
  apply(path: string, obj: KubeObject): KubeObject {
    const type = this.served.has(path) ? (BUILTIN[path] ?? CRDS[path]) : undefined;
    if (!type) throw new Error(`collection ${path} is not served`);
    const coll = this.collection(path);
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const prev = coll.get(key);
    const stored: KubeObject = structuredClone({
      ...type,
      ...obj,
      metadata: {
        ...obj.metadata,
        uid: prev?.metadata.uid ?? obj.metadata.uid ?? randomUUID(),
        creationTimestamp: prev?.metadata.creationTimestamp ?? new Date().toISOString(),
        resourceVersion: String(++this.rv),
      },
    });
    coll.set(key, stored);
    this.emit({ rv: this.rv, path, type: prev ? 'MODIFIED' : 'ADDED', object: stored });
    return stored;
  }

  delete(path: string, namespace: string, name: string): void {
    const coll = this.collection(path);
    const prev = coll.get(`${namespace}/${name}`);
    if (!prev) return;
    coll.delete(`${namespace}/${name}`);
    const object = structuredClone({
      ...prev,
      metadata: { ...prev.metadata, resourceVersion: String(++this.rv) },
    });
    this.emit({ rv: this.rv, path, type: 'DELETED', object });
  }

  /** Forgets all history (etcd compaction): any older resourceVersion or continue token is now expired. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
    this.snapshots.clear();
  }

  /** Cuts every open watch connection (a load balancer or API server restart). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }

  private collection(path: string): Map<string, KubeObject> {
    let c = this.store.get(path);
    if (!c) this.store.set(path, (c = new Map()));
    return c;
  }

  private emit(e: Event): void {
    this.history.push(e);
    const limit = this.opts.historyLimit ?? 100_000;
    if (this.history.length > limit) {
      const dropped = this.history.splice(0, this.history.length - limit);
      this.compactedRv = dropped.at(-1)?.rv ?? this.compactedRv;
    }
    for (const w of this.watchers) if (w.path === e.path) this.write(w.res, e.type, e.object);
  }

  private write(res: ServerResponse, type: string, object: unknown): void {
    res.write(JSON.stringify({ type, object }) + '\n');
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        code,
      }),
    );
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    if (req.method !== 'GET') return this.status(res, 405, 'MethodNotAllowed', 'only GET is served');
    if (!this.served.has(url.pathname))
      return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (this.misbehave?.(url, res)) return;
    const q = url.searchParams;
    if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(url.pathname, q, res);
    return this.list(url.pathname, q, res);
  }

  private list(path: string, q: URLSearchParams, res: ServerResponse): void {
    this.stats.lists++;
    const limit = Number(q.get('limit') ?? 0);
    const token = q.get('continue');
    let snap: { rv: number; items: KubeObject[] };
    let offset = 0;
    let id: string;
    if (token) {
      const [tid = '', off = '0'] = Buffer.from(token, 'base64url').toString().split(':');
      const found = this.snapshots.get(tid);
      if (!found || found.rv <= this.compactedRv) {
        this.stats.expired++;
        return this.status(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result.',
        );
      }
      snap = found;
      id = tid;
      offset = Number(off);
    } else {
      const items = [...this.collection(path).entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([, o]) => o);
      snap = { rv: this.rv, items };
      id = randomBytes(6).toString('hex');
    }
    const page = limit > 0 ? snap.items.slice(offset, offset + limit) : snap.items.slice(offset);
    const next = offset + page.length;
    const meta: Record<string, string> = { resourceVersion: String(snap.rv) };
    if (limit > 0 && next < snap.items.length) {
      this.snapshots.set(id, snap);
      meta['continue'] = Buffer.from(`${id}:${next}`).toString('base64url');
    } else this.snapshots.delete(id);
    const type = BUILTIN[path] ?? CRDS[path];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: `${type?.kind}List`,
        apiVersion: type?.apiVersion,
        metadata: meta,
        items: page,
      }),
    );
  }

  private watch(path: string, q: URLSearchParams, res: ServerResponse): void {
    this.stats.watches++;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const from = q.get('resourceVersion');
    if (from && from !== '0' && Number(from) < this.compactedRv) {
      this.stats.expired++;
      this.write(res, 'ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${from} (${this.compactedRv})`,
        reason: 'Expired',
        code: 410,
      });
      return void res.end();
    }
    if (!from || from === '0') for (const o of this.collection(path).values()) this.write(res, 'ADDED', o);
    else
      for (const e of this.history)
        if (e.path === path && e.rv > Number(from)) this.write(res, e.type, e.object);
    const w: Watcher = { path, res };
    this.watchers.add(w);
    const timers: NodeJS.Timeout[] = [];
    if (q.get('allowWatchBookmarks') === 'true') {
      const type = BUILTIN[path] ?? CRDS[path];
      timers.push(
        setInterval(
          () =>
            this.write(res, 'BOOKMARK', {
              kind: type?.kind,
              apiVersion: type?.apiVersion,
              metadata: { resourceVersion: String(this.rv) },
            }),
          this.opts.bookmarkIntervalMs ?? 1000,
        ),
      );
    }
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
    res.on('close', () => {
      for (const t of timers) clearTimeout(t);
      this.watchers.delete(w);
    });
  }
}
