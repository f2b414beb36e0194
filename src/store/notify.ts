import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import * as z from 'zod';
import type { Database } from './schema.js';
import { parseDatabaseUrl } from './database.js';
import { ResourceName } from '../domain/names.js';

/**
 * Change notifications between the replicas of one control plane (docs/replicas.md). PostgreSQL:
 * `NOTIFY imagetrail_events` from any connection, one `LISTEN` connection per process. SQLite: one process
 * owns the data directory, so there is nobody else to tell; the in-process notifier only loops back, and
 * subscribers ignore their own events.
 */

/**
 * What changed: the shared configuration (Git or recipient pins), the report queue, the agent tasks, or the
 * API tokens (a revocation: each replica forgets the tokens it verified a moment ago, src/server/token-cache.ts).
 */
export const Topic = z.enum(['config', 'reports', 'tasks', 'tokens']);
export type Topic = z.infer<typeof Topic>;

/** Runtimes named in one notification at most; a burst over more says none (= every runtime). */
const MAX_RUNTIMES = 20;

/**
 * The NOTIFY payload; parsed, since any client of the database may send on the channel. `runtimes`: whose
 * reports were queued (topic `reports`), so only their runners and agents are woken; absent: any.
 */
export const ChangeEvent = z.object({
  origin: z.string().min(1).max(64),
  topic: Topic,
  runtimes: z.array(ResourceName).max(MAX_RUNTIMES).optional(),
});
export type ChangeEvent = z.infer<typeof ChangeEvent>;

export const CHANNEL = 'imagetrail_events';

export interface Notifier {
  /** This process's id, stamped on what it publishes. */
  readonly origin: string;
  /**
   * Tells the other replicas (for `reports`: of which runtime); never throws (a lost notification is caught
   * up by the periodic pull).
   */
  publish(topic: Topic, runtime?: string): void;
  /**
   * Calls `fn` for each change another replica published (with the reports' runtimes, when it said). After
   * the listening connection was lost and re-established, `fn` is called once per topic, with no runtimes,
   * since notifications sent meanwhile are gone.
   */
  subscribe(fn: (topic: Topic, runtimes?: string[]) => void): () => void;
  close(): Promise<void>;
}

export interface NotifierOptions {
  db: Kysely<Database>;
  /** `postgres://…` gets LISTEN/NOTIFY; anything else the in-process notifier. */
  databaseUrl: string;
  onError?: (err: unknown) => void;
  /** First reconnect delay of the listening connection; doubles up to 5 s. */
  reconnectMs?: number;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const loc = parseDatabaseUrl(opts.databaseUrl);
  return loc.dialect === 'postgres'
    ? new PgNotifier(opts, loc.connectionString)
    : new LocalNotifier(randomUUID());
}

/** The SQLite notifier: the only listener is this process, which ignores its own events. */
export class LocalNotifier implements Notifier {
  private readonly events = new EventEmitter();
  constructor(readonly origin: string) {}

  publish(topic: Topic): void {
    this.events.emit('event', { origin: this.origin, topic });
  }

  subscribe(fn: (topic: Topic, runtimes?: string[]) => void): () => void {
    const listener = (e: ChangeEvent) => {
      if (e.origin !== this.origin) fn(e.topic);
    };
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  close(): Promise<void> {
    this.events.removeAllListeners();
    return Promise.resolve();
  }
}

class PgNotifier implements Notifier {
  readonly origin = randomUUID();
  private readonly subscribers = new Set<(topic: Topic, runtimes?: string[]) => void>();
  private client: pg.Client | undefined;
  private closed = false;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  /**
   * Publishes in flight per topic, and what came meanwhile (runtimes, or `all`): a burst (500 reports at
   * once) becomes at most two NOTIFYs in a row, each a transaction with no write and so no WAL flush.
   */
  private readonly inFlight = new Map<Topic, { again: Set<string> | 'all' | null }>();

  constructor(
    private readonly opts: NotifierOptions,
    private readonly connectionString: string,
  ) {
    this.delay = opts.reconnectMs ?? 100;
    this.connect(false);
  }

  publish(topic: Topic, runtime?: string): void {
    const state = this.inFlight.get(topic);
    if (state) {
      state.again = merge(state.again, runtime);
      return;
    }
    this.send(topic, runtime === undefined ? 'all' : new Set([runtime]));
  }

  private send(topic: Topic, runtimes: Set<string> | 'all'): void {
    this.inFlight.set(topic, { again: null });
    const event: ChangeEvent = {
      origin: this.origin,
      topic,
      ...(runtimes !== 'all' && runtimes.size <= MAX_RUNTIMES ? { runtimes: [...runtimes] } : {}),
    };
    sql`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(event)})`
      .execute(this.opts.db)
      .catch((err: unknown) => this.opts.onError?.(err))
      .finally(() => {
        const again = this.inFlight.get(topic)?.again ?? null;
        this.inFlight.delete(topic);
        if (again !== null && !this.closed) this.send(topic, again);
      });
  }

  subscribe(fn: (topic: Topic, runtimes?: string[]) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private deliver(topic: Topic, runtimes?: string[]): void {
    for (const fn of [...this.subscribers]) {
      try {
        fn(topic, runtimes);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  private connect(isReconnect: boolean): void {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: 10_000,
      application_name: 'imagetrail-listen',
      // A half-open TCP connection would otherwise hide lost notifications until the kernel notices.
      keepAlive: true,
    });
    this.client = client;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.opts.onError?.(err);
      this.timer = setTimeout(() => this.connect(true), this.delay);
      this.timer.unref();
      this.delay = Math.min(5000, this.delay * 2);
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('the LISTEN connection to PostgreSQL ended')));
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      let raw: unknown;
      try {
        raw = JSON.parse(msg.payload);
      } catch {
        return;
      }
      const event = ChangeEvent.safeParse(raw);
      if (event.success && event.data.origin !== this.origin)
        this.deliver(event.data.topic, event.data.runtimes);
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      .then(() => {
        this.delay = this.opts.reconnectMs ?? 100;
        // Whatever was published while nobody listened is lost: catch up on everything.
        if (isReconnect) for (const t of Topic.options) this.deliver(t);
      })
      .catch(fail);
  }
}

function merge(pending: Set<string> | 'all' | null, runtime: string | undefined): Set<string> | 'all' {
  if (pending === 'all' || runtime === undefined) return 'all';
  return (pending ?? new Set<string>()).add(runtime);
}
