import type { AnyIntegrationTypeHandler } from '../types/index.js';
import type { Actor, IntegrationServiceDeps } from './types.js';

type AuditDeps = Pick<IntegrationServiceDeps, 'logger' | 'audit'>;

/** One audit event per change or secret use: logged, and recorded when an audit store is configured. */
export async function audit(
  deps: AuditDeps,
  actor: Actor,
  action: string,
  target: string,
  detail: Record<string, unknown>,
): Promise<void> {
  deps.logger.info({ actor: actor.name, action, target, detail }, action);
  const who = actor.sso ? { actorUser: { id: actor.id, name: actor.name } } : { actorTokenId: actor.id };
  await deps.audit?.record({ ...who, action, target, detail });
}

/** What one use of a stored secret is recorded with. */
export interface SecretUse {
  use: 'test' | 'draft-test' | 'edit-reseal';
  name: string;
  h: AnyIntegrationTypeHandler;
  settings: unknown;
  /** The secret fields opened (section paths). */
  fields: string[];
  runtime?: string;
}

/** Every admin action that uses a stored secret, with where it goes; never the secret itself. */
export async function auditSecretUse(deps: AuditDeps, actor: Actor, u: SecretUse): Promise<void> {
  await audit(deps, actor, 'integration.secret-use', u.name, {
    use: u.use,
    type: u.h.type,
    fields: u.fields,
    destinations: u.h.destinations(u.settings),
    ...(u.runtime ? { runtime: u.runtime } : {}),
  });
}
