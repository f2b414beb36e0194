import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { hashToken } from './token-store.js';

/**
 * Runtime agents in the store: one-time registration tokens and the agents seen per runtime. A
 * registration token is stored as its SHA-256 only, is consumed atomically (one UPDATE that also checks
 * expiry and first use), so two agents racing with one token cannot both register.
 */
export interface AgentRecord {
  id: string;
  runtime: string;
  version: string;
  awsArn: string | null;
  registeredAt: string;
  lastSeenAt: string;
}

export const REGISTRATION_PREFIX = 'itreg_';

export type ConsumeResult =
  { ok: true; runtime: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

export class SqlAgentStore {
  private readonly db: Kysely<Database>;
  private readonly now: () => Date;

  constructor(deps: { db: Kysely<Database>; now?: () => Date }) {
    this.db = deps.db;
    this.now = deps.now ?? (() => new Date());
  }

  async createRegistration(runtime: string, ttlMs: number): Promise<{ token: string; expiresAt: string }> {
    const token = REGISTRATION_PREFIX + randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    await this.db
      .insertInto('agent_registrations')
      .values({
        id: `reg_${randomBytes(12).toString('base64url')}`,
        runtime,
        token_hash: hashToken(token),
        expires_at: expiresAt,
        used_at: null,
        created_at: now.toISOString(),
      })
      .execute();
    return { token, expiresAt };
  }

  /** Marks the token used if it is known, unused and unexpired; says which of those it was not. */
  async consumeRegistration(token: string): Promise<ConsumeResult> {
    if (!/^itreg_[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, reason: 'unknown' };
    const hash = hashToken(token);
    const at = this.now().toISOString();
    const row = await this.db
      .updateTable('agent_registrations')
      .set({ used_at: at })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returning(['runtime'])
      .executeTakeFirst();
    if (row) return { ok: true, runtime: row.runtime };
    const seen = await this.db
      .selectFrom('agent_registrations')
      .select(['used_at', 'expires_at'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (!seen) return { ok: false, reason: 'unknown' };
    return { ok: false, reason: seen.used_at !== null ? 'used' : 'expired' };
  }

  /** Records an agent (at registration) or that it is alive (at each claim), with what it says it is. */
  async seen(agent: {
    id: string;
    runtime: string;
    version: string;
    /** Undefined keeps what was recorded (a claim need not repeat the identity it registered with). */
    awsArn?: string | null;
  }): Promise<void> {
    const at = this.now().toISOString();
    await this.db
      .insertInto('runtime_agents')
      .values({
        id: agent.id,
        runtime: agent.runtime,
        version: agent.version,
        aws_arn: agent.awsArn ?? null,
        registered_at: at,
        last_seen_at: at,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({
          runtime: agent.runtime,
          version: agent.version,
          ...(agent.awsArn !== undefined ? { aws_arn: agent.awsArn } : {}),
          last_seen_at: at,
        }),
      )
      .execute();
  }

  async list(runtime?: string): Promise<AgentRecord[]> {
    const rows = await this.db
      .selectFrom('runtime_agents')
      .selectAll()
      .$if(runtime !== undefined, (qb) => qb.where('runtime', '=', runtime ?? ''))
      .orderBy('last_seen_at', 'desc')
      .limit(500)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      runtime: r.runtime,
      version: r.version,
      awsArn: r.aws_arn,
      registeredAt: r.registered_at,
      lastSeenAt: r.last_seen_at,
    }));
  }
}
