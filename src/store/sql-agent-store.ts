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
  /** When it said it was stopping (null: serving, or gone without a word). */
  leftAt: string | null;
}

/** Agents of a runtime kept at most, and how long one not seen since is kept (the newest is always kept). */
const KEEP_AGENTS = 100;
const KEEP_AGENT_MS = 7 * 24 * 3600_000;

export const REGISTRATION_PREFIX = 'itreg_';

/**
 * `retry`: the token was used by this same agent (agent id and recipient) within REGISTRATION_RETRY_MS, whose
 * answer was lost; `previous` is the credential that registration got (null: not issued yet, or it died).
 */
export type ConsumeResult =
  | { ok: true; id: string; runtime: string; retry?: { previous: string | null } }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/** How long after first use the same agent may use its registration token again (a lost answer). */
export const REGISTRATION_RETRY_MS = 15 * 60_000;

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

  /**
   * Marks the token used by `by` if it is known, unused and unexpired; says which of those it was not. A
   * token already used by the same agent id and recipient, less than REGISTRATION_RETRY_MS ago, is a retry.
   */
  async consumeRegistration(
    token: string,
    by: { agentId: string; recipient: string } = { agentId: '', recipient: '' },
  ): Promise<ConsumeResult> {
    if (!/^itreg_[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, reason: 'unknown' };
    const hash = hashToken(token);
    const now = this.now();
    const at = now.toISOString();
    const row = await this.db
      .updateTable('agent_registrations')
      .set({ used_at: at, used_by_agent: by.agentId, used_by_recipient: by.recipient })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returning(['id', 'runtime'])
      .executeTakeFirst();
    if (row) return { ok: true, id: row.id, runtime: row.runtime };
    const seen = await this.db
      .selectFrom('agent_registrations')
      .select(['id', 'runtime', 'used_at', 'used_by_agent', 'used_by_recipient', 'credential_id'])
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (!seen) return { ok: false, reason: 'unknown' };
    if (seen.used_at === null) return { ok: false, reason: 'expired' };
    const sameAgent =
      by.agentId !== '' && seen.used_by_agent === by.agentId && seen.used_by_recipient === by.recipient;
    if (sameAgent && Date.parse(seen.used_at) + REGISTRATION_RETRY_MS > now.getTime()) {
      return {
        ok: true,
        id: seen.id,
        runtime: seen.runtime,
        retry: { previous: seen.credential_id ?? null },
      };
    }
    return { ok: false, reason: 'used' };
  }

  /**
   * Records the credential a registration issued, if the one recorded is still `previous` (compare and
   * set: of two attempts racing, one wins and the other must revoke its own credential).
   */
  async recordCredential(id: string, credentialId: string, previous: string | null): Promise<boolean> {
    let q = this.db
      .updateTable('agent_registrations')
      .set({ credential_id: credentialId })
      .where('id', '=', id);
    q = previous === null ? q.where('credential_id', 'is', null) : q.where('credential_id', '=', previous);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * The unrevoked credentials of the runtime's registrations made with another key than `recipient`: agents
   * that can no longer open the runtime's secrets once it is pinned (each registration keeps who used it).
   */
  async credentialsOfOtherKeys(runtime: string, recipient: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('agent_registrations as r')
      .innerJoin('api_tokens as t', 't.id', 'r.credential_id')
      .select('t.id')
      .where('r.runtime', '=', runtime)
      .where('t.revoked_at', 'is', null)
      .where((eb) =>
        eb.or([eb('r.used_by_recipient', 'is', null), eb('r.used_by_recipient', '!=', recipient)]),
      )
      .execute();
    return rows.map((r) => r.id);
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
        left_at: null,
      })
      // An id taken by another runtime's agent is left as it is: agent ids are the agents' own words, and a
      // runtime's credential must not rewrite (or un-stop) another runtime's agent.
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({
            version: agent.version,
            ...(agent.awsArn !== undefined ? { aws_arn: agent.awsArn } : {}),
            last_seen_at: at,
            left_at: null,
          })
          .where('runtime_agents.runtime', '=', agent.runtime),
      )
      .execute();
  }

  /** The agent says it is stopping; false when no agent of that id serves that runtime. */
  async leave(id: string, runtime: string): Promise<boolean> {
    const res = await this.db
      .updateTable('runtime_agents')
      .set({ left_at: this.now().toISOString() })
      .where('id', '=', id)
      .where('runtime', '=', runtime)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Forgets the runtime's agents past the newest KEEP_AGENTS, and those not seen for KEEP_AGENT_MS but the
   * newest: every agent start is a new id, and agent ids are the agents' own words, so the rows are bounded.
   */
  async prune(runtime: string): Promise<void> {
    const cutoff = new Date(this.now().getTime() - KEEP_AGENT_MS).toISOString();
    const newest = (n: number) =>
      this.db
        .selectFrom('runtime_agents')
        .select('id')
        .where('runtime', '=', runtime)
        .orderBy('last_seen_at', 'desc')
        .orderBy('id')
        .limit(n);
    await this.db
      .deleteFrom('runtime_agents')
      .where('runtime', '=', runtime)
      .where('id', 'not in', newest(1))
      .where((eb) => eb.or([eb('last_seen_at', '<', cutoff), eb('id', 'not in', newest(KEEP_AGENTS))]))
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
      leftAt: r.left_at ?? null,
    }));
  }
}
