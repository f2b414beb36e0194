import type { ServerResponse } from 'node:http';
import type { FakeKubeApiServer } from './kube-apiserver.js';

/**
 * The stand-in turned broken or hostile (the threat model's hostile runtime: whoever controls the cluster
 * controls what its API server answers). Each breaks one convention of
 * https://kubernetes.io/docs/reference/using-api/api-concepts/ that a well-behaved server keeps: a page holds
 * at most `limit` items ("Retrieving large results sets in chunks"), a chunked list ends, a watch streams
 * one JSON event per line and ends at `timeoutSeconds` ("Efficient detection of changes"), and objects stay
 * within etcd's request size (~1.5 MiB by default). Only the collection named is affected.
 */
export type Misbehaviour =
  /** Lists answer `count` items whatever `limit` asks. */
  | { kind: 'ignore-limit'; count: number }
  /** Lists answer no items and a `continue` token, forever. */
  | { kind: 'endless-continue' }
  /** A list page of about `bytes` bytes. */
  | { kind: 'huge-page'; bytes: number }
  /** Watches stream lines that are not JSON, without end. */
  | { kind: 'junk-watch' }
  /** Watches stream one line that never ends (an enormous object). */
  | { kind: 'endless-line' }
  /** 403 Forbidden, as RBAC answers a role without this resource (not hostile: a narrower role). */
  | { kind: 'forbidden' }
  /** A list page that starts and never ends: a byte every few milliseconds (a trickling server). */
  | { kind: 'trickle-list' }
  /** Lists answer `302 Found` to `location` (another origin, which should never see the credentials). */
  | { kind: 'redirect'; location: string };

/** Makes `api` misbehave on `path`; returns how to stop it (and end the streams it started). */
export function misbehave(api: FakeKubeApiServer, path: string, m: Misbehaviour): () => void {
  const streams = new Set<ServerResponse>();
  api.misbehave = (url, res) => {
    if (url.pathname !== path) return false;
    const watch = url.searchParams.get('watch') === 'true';
    if (watch && (m.kind === 'junk-watch' || m.kind === 'endless-line')) {
      stream(streams, res, m.kind === 'junk-watch' ? 'this is not json\n' : 'x'.repeat(16 * 1024));
      return true;
    }
    if (m.kind === 'forbidden') {
      res.writeHead(403, { 'content-type': 'application/json' });
      const message = `rollouts.argoproj.io is forbidden: cannot list resource "rollouts"`;
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message }));
      return true;
    }
    if (watch) return false;
    if (m.kind === 'trickle-list') {
      stream(streams, res, ' ', '{"kind":"List","items":[');
      return true;
    }
    if (m.kind === 'redirect') {
      res.writeHead(302, { location: m.location });
      res.end();
      return true;
    }
    const list = (items: unknown[], meta: Record<string, string> = {}) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'List',
          apiVersion: 'v1',
          metadata: { resourceVersion: '1', ...meta },
          items,
        }),
      );
    };
    if (m.kind === 'ignore-limit')
      list(Array.from({ length: m.count }, (_, i) => ({ metadata: { name: `p-${i}`, namespace: 'x' } })));
    else if (m.kind === 'endless-continue') list([], { continue: `more-${Math.random()}` });
    else if (m.kind === 'huge-page')
      list([{ metadata: { name: 'big', namespace: 'x', annotations: { a: 'x'.repeat(m.bytes) } } }]);
    else return false;
    return true;
  };
  return () => {
    api.misbehave = undefined;
    for (const s of streams) s.destroy();
    streams.clear();
  };
}

/** Writes `chunk` every few milliseconds until the client goes away. */
function stream(streams: Set<ServerResponse>, res: ServerResponse, chunk: string, first = ''): void {
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  if (first) res.write(first);
  streams.add(res);
  const t = setInterval(() => res.write(chunk), 2);
  res.on('close', () => {
    clearInterval(t);
    streams.delete(res);
  });
}
