import { setTimeout as sleep } from 'node:timers/promises';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from '../../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../../peers/registry.js';
import type { PushedImage } from '../../peers/images.js';
import { EcrSeeder, HOST } from '../../helpers/ecr-seed.js';
import type { ServerHandle } from '../../helpers/imagetrail.js';

// Shared plumbing of the fault tests (test/faults): polling, bounded concurrency, an ECR world (moto with
// IAM enforcement + distribution, seeded), and report bookkeeping through the public API.

/** Polls `fn` until it returns something other than undefined; throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastErr ? ` (last error: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)})` : ''}`,
      );
    }
    await sleep(opts.intervalMs ?? 200);
  }
}

/** Runs `fn` over `items`, at most `limit` at a time, preserving order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A small deterministic PRNG (mulberry32), so a failing random run can be replayed by its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface EcrWorld {
  moto: MotoPeer;
  registry: RegistryPeer;
  iam: EcrIamScenario;
  /** Seeded images, in order; `ref` is the full ECR reference by tag. */
  images: Array<PushedImage & { ref: string; repository: string }>;
  stop(): Promise<void>;
}

/**
 * moto (IAM enforced once seeded) + distribution looking like one ECR registry, with `count` single-arch
 * images spread over `repositories`.
 */
export async function startEcrWorld(opts: { count: number; repositories: string[] }): Promise<EcrWorld> {
  const [moto, registry] = await Promise.all([startMoto(), startRegistry()]);
  try {
    const iam = await createEcrIamScenario(moto);
    const seed = new EcrSeeder(moto, registry);
    const images: EcrWorld['images'] = [];
    for (let i = 0; i < opts.count; i++) {
      const repository = opts.repositories[i % opts.repositories.length]!;
      const tag = `v${i}`;
      const pushed = await seed.image(repository, tag);
      images.push({ ...pushed, repository, ref: `${HOST}/${repository}:${tag}` });
    }
    await moto.enableIamAuth();
    return {
      moto,
      registry,
      iam,
      images,
      async stop() {
        await Promise.all([moto.stop(), registry.stop()]);
      },
    };
  } catch (err) {
    await Promise.all([moto.stop(), registry.stop()]);
    throw err;
  }
}

export interface PostOutcome {
  /** HTTP status, or undefined when the connection failed (server gone). */
  status?: number;
  id?: string;
  body?: any;
  error?: string;
}

/** POSTs one report; never throws (a dead server is an outcome too). */
export async function postReport(
  server: Pick<ServerHandle, 'url' | 'adminToken'>,
  body: unknown,
  idempotencyKey?: string,
): Promise<PostOutcome> {
  try {
    const res = await fetch(`${server.url}/api/v1/image-reports`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = { raw: text };
    }
    return { status: res.status, ...(typeof json?.id === 'string' ? { id: json.id } : {}), body: json };
  } catch (err) {
    return { error: String((err as Error)?.cause ?? err) };
  }
}

export async function getJson(
  server: Pick<ServerHandle, 'url' | 'adminToken'>,
  path: string,
): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + path, {
    headers: { authorization: `Bearer ${server.adminToken}` },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}

export const TERMINAL = new Set(['succeeded', 'failed']);

/** Waits until every report is succeeded or failed; returns the final views in the order of `ids`. */
export async function waitAllTerminal(
  server: Pick<ServerHandle, 'url' | 'adminToken'>,
  ids: readonly string[],
  timeoutMs: number,
): Promise<any[]> {
  const final = new Map<string, any>();
  await waitUntil(
    `${ids.length} reports to end`,
    async () => {
      const pending = ids.filter((id) => !final.has(id));
      await mapLimit(pending, 10, async (id) => {
        const r = await getJson(server, `/api/v1/image-reports/${id}`);
        if (r.status === 200 && TERMINAL.has(r.json.status)) final.set(id, r.json);
      });
      return final.size === ids.length ? true : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  ).catch((err: unknown) => {
    const stuck = ids.filter((id) => !final.has(id));
    throw new Error(`${String(err)}; ${stuck.length} not terminal, e.g. ${stuck.slice(0, 5).join(', ')}`);
  });
  return ids.map((id) => final.get(id));
}

/** Report counts by status from /healthz. */
export interface ReportCounts {
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  inProgressHere?: number;
}

export async function reportCounts(server: Pick<ServerHandle, 'url' | 'adminToken'>): Promise<ReportCounts> {
  const r = await getJson(server, '/healthz');
  return r.json.reports;
}
