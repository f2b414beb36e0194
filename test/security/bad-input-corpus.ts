import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';

// The bad-input corpus (test/corpus/*.json, made by test/corpus/generate.mjs) and the real server the
// bad-input tests (bad-input-api, bad-input-config-cli) throw it at: every malformed input must get a clear
// 4xx that names what to fix (or, for hand-edited YAML, a reported configuration problem with file and
// field path), never a 5xx, never a crash; the CLI exits 2.

const CORPUS = join(import.meta.dirname, '..', 'corpus');
export const load = <T>(name: string): T => JSON.parse(readFileSync(join(CORPUS, name), 'utf8')) as T;

export interface Str {
  value: string;
  why: string;
}

export const refs = load<Str[]>('image-references.json');
export const arns = load<Str[]>('role-arns.json');
export const regions = load<Str[]>('regions.json');
export const names = load<Str[]>('names.json');
export const urls = load<Str[]>('endpoint-urls.json');

const LOOP = 'http://127.0.0.1:9';
export const ROLE = 'arn:aws:iam::123456789012:role/corpus';
export const ecr = (over: Record<string, unknown> = {}) => ({
  region: 'us-east-1',
  auth: { mode: 'iamRole', roleArn: ROLE },
  endpoints: { api: LOOP, sts: LOOP, registry: LOOP },
  ...over,
});

/** Set by the set-up `useCorpusServer` registers (ES module bindings: importers see them). */
export let remote: Awaited<ReturnType<typeof bareRemote>>;
export let server: ServerHandle;

export interface Res {
  status: number;
  json: any;
  text: string;
  headers: Headers;
}

export async function send(
  method: string,
  path: string,
  opts: { body?: unknown; text?: string; headers?: Record<string, string>; stream?: boolean } = {},
): Promise<Res> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.adminToken}`, ...opts.headers };
  let body: string | ReadableStream<Uint8Array> | undefined =
    opts.text ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  if (opts.stream && typeof body === 'string') {
    // Chunked, without Content-Length: the limit must hold while reading, not only by the header.
    const bytes = new TextEncoder().encode(body);
    body = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += 16 * 1024) c.enqueue(bytes.slice(i, i + 16 * 1024));
        c.close();
      },
    });
  }
  const res = await fetch(server.url + path, {
    method,
    headers,
    ...(body !== undefined ? { body, duplex: 'half' } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/**
 * Starts the server for the calling test file (beforeAll), with the stored integration `corpus-existing`,
 * and stops it afterwards (afterAll), after `beforeStop` when given.
 */
export function useCorpusServer(opts: { beforeStop?: () => Promise<void> } = {}): void {
  beforeAll(async () => {
    remote = await bareRemote();
    server = await startImagetrail({ configRepo: remote.url });
    // A stored integration for the edit / delete / report cases (never tested: it points at a closed port).
    const r = await send('POST', '/api/v1/integrations', {
      body: {
        name: 'corpus-existing',
        type: 'registry.ecr',
        sharing: { runtimes: ['local'] },
        skipTest: true,
        ecr: ecr({
          auth: { mode: 'accessKey', accessKeyId: 'AKIACORPUSCORPUS0000', secretAccessKey: 'corpus-secret' },
        }),
      },
    });
    expect(r.status, r.text).toBe(201);
  });
  afterAll(async () => {
    try {
      await opts.beforeStop?.();
    } finally {
      await server?.stop();
      await remote?.cleanup();
    }
  });
}

/** The server came through the corpus: still running and healthy, and no 5xx or internal error in its log. */
export async function expectServerSurvived(): Promise<void> {
  expect(server.proc.exitCode).toBeNull();
  const h = await send('GET', '/healthz');
  expect(h.status).toBe(200);
  expect(h.json.status).toBe('ok');
  expect(server.logs()).not.toMatch(/"status":5\d\d/);
  expect(server.logs()).not.toMatch(/InternalError|Maximum call stack|FATAL|Unhandled/i);
}
