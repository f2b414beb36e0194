import { stringify } from 'yaml';
import { AGENT_PROTOCOL, RegisterRequest, type RegisterResponse } from '../contract/agent-protocol.js';
import {
  AuthenticationError,
  InputError,
  NotAllowedError,
  NotFoundError,
  UnavailableError,
} from '../domain/errors.js';
import { parseInput } from '../domain/parse.js';
import type { RuntimeV1alpha1 } from '../config-repo/kinds/runtime-v1alpha1.js';
import { runtimePath } from '../config-repo/layout.js';
import type { ConfigSnapshot } from '../config-repo/snapshot.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { KeyStore } from '../config-repo/keys.js';
import type { IntegrationService } from '../integrations/integration-service.js';
import { overlayPins } from '../integrations/recipients.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { AuditStore } from '../store/audit-store.js';
import type { SqlAgentStore } from '../store/sql-agent-store.js';
import type { TokenStore } from '../store/token-store.js';
import type { RuntimeExecutor } from './executor.js';
import type { RecipientPins } from './recipient-pins.js';
import { checkProtocol } from './agent-protocol-check.js';

export interface AgentRegistrationDeps {
  repo: ConfigRepo;
  pins: RecipientPins;
  integrations: Pick<IntegrationService, 'resealAll'>;
  /** The keys this control plane holds: its generated key of a runtime goes once the agent brings its own. */
  keys?: Pick<KeyStore, 'retire'>;
  tokens: Pick<TokenStore, 'create' | 'revoke'>;
  agents: SqlAgentStore;
  executor: Pick<RuntimeExecutor, 'canExecute'>;
  audit: Pick<AuditStore, 'record'>;
  redactor: Redactor;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/** The runtime a registration token may be issued for: a hybrid runtime that this process does not run. */
export function agentRuntime(
  snap: ConfigSnapshot,
  executor: Pick<RuntimeExecutor, 'canExecute'>,
  name: string,
): RuntimeV1alpha1 {
  const rt = snap.runtimes.get(name);
  if (!rt) {
    throw new NotFoundError(`No runtime named "${name}".`, {
      hints: [`Add it first: imagetrail runtime add ${name} --type hybrid --version X.Y.Z`],
    });
  }
  if (rt.spec.type !== 'hybrid' || executor.canExecute(rt).ok) {
    throw new InputError(
      `Runtime "${name}" runs in the control plane (${rt.spec.type === 'hosted' ? 'hosted' : 'in-process'}); only a remote hybrid runtime has agents.`,
    );
  }
  return rt;
}

/** Issues a one-time registration token for a remote hybrid runtime (admin). */
export async function issueRegistrationToken(
  deps: AgentRegistrationDeps,
  name: string,
  ttlSeconds: number,
  actorId: string | null,
): Promise<{ runtime: string; registrationToken: string; expiresAt: string }> {
  agentRuntime(deps.repo.snapshot(), deps.executor, name);
  const { token, expiresAt } = await deps.agents.createRegistration(name, ttlSeconds * 1000);
  deps.redactor.register(token);
  await deps.audit.record({
    actorTokenId: actorId,
    action: 'runtime.registration-token',
    target: name,
    detail: { expiresAt },
  });
  return { runtime: name, registrationToken: token, expiresAt };
}

/**
 * An agent's first start: the registration token (one use, unexpired) names the runtime; the agent's
 * recipient is pinned and written to `runtimes/<name>/runtime.yaml` with its version, and every
 * integration the runtime can use is re-sealed for it, in one commit. The agent gets a runtime credential.
 */
export async function registerAgent(
  deps: AgentRegistrationDeps,
  registrationToken: string,
  raw: unknown,
): Promise<RegisterResponse> {
  checkProtocol(raw);
  const body = parseInput(RegisterRequest, raw, 'agent registration');
  const consumed = await deps.agents.consumeRegistration(registrationToken, body);
  if (!consumed.ok) {
    const why = {
      unknown: 'is not a registration token this control plane issued',
      used: 'has already been used (each registration token registers once)',
      expired: 'has expired',
    }[consumed.reason];
    throw new AuthenticationError(`The registration token ${why}.`, {
      hints: [`Ask an admin for a new one: imagetrail runtime token ${body.runtime}`],
    });
  }
  if (consumed.runtime !== body.runtime) {
    throw new NotAllowedError(
      `This registration token is for runtime "${consumed.runtime}", not "${body.runtime}".`,
    );
  }
  const current = agentRuntime(deps.repo.snapshot(), deps.executor, body.runtime);
  const commit = await pinAndReseal(deps, current, body);
  // Only once the agent's key is pinned and every secret re-sealed for it is the generated one unused.
  await retireGeneratedKey(deps, body);
  const credential = await issueCredential(deps, body.runtime, consumed.id, consumed.retry);
  const superseded = await supersede(deps, body);
  await deps.agents.seen({
    id: body.agentId,
    runtime: body.runtime,
    version: body.version,
    awsArn: body.awsIdentity?.arn ?? null,
  });
  await deps.audit.record({
    actorTokenId: credential.id,
    action: consumed.retry ? 'runtime.agent-register-retry' : 'runtime.agent-register',
    target: body.runtime,
    detail: {
      ...{ agentId: body.agentId, version: body.version, awsArn: body.awsIdentity?.arn ?? null, commit },
      ...(consumed.retry ? { revokedCredentialId: consumed.retry.previous } : {}),
      ...(superseded.length > 0 ? { supersededCredentialIds: superseded } : {}),
    },
  });
  deps.logger.info({ runtime: body.runtime, agent: body.agentId, commit }, 'agent registered');
  return {
    protocol: AGENT_PROTOCOL,
    runtime: body.runtime,
    credential: credential.token,
    credentialId: credential.id,
    commit,
  };
}

/**
 * Deletes the key this control plane generated for the runtime at `runtime add`, now that the agent's own
 * key is pinned. The control plane never opens a remote runtime's secrets with it (its own key is sealed
 * for every placement too). Best effort: the registration is committed already.
 */
async function retireGeneratedKey(deps: AgentRegistrationDeps, body: RegisterRequest): Promise<void> {
  const retired = await deps.keys?.retire(body.runtime, body.recipient).catch((err: unknown) => {
    deps.logger.warn(
      { err, runtime: body.runtime },
      "could not delete this control plane's copy of the runtime's old key",
    );
    return false;
  });
  if (retired)
    deps.logger.info({ runtime: body.runtime }, "deleted this control plane's copy of the runtime's old key");
}

/**
 * Revokes the credentials of the runtime's earlier registrations made with another key: once this key is
 * pinned their agents cannot open the runtime's secrets, and left running they would claim its work and fail
 * it. Stopped instead, by a 401 that says why. Replicas sharing this key (one data directory) keep theirs.
 */
async function supersede(deps: AgentRegistrationDeps, body: RegisterRequest): Promise<string[]> {
  // The key pinned now, not necessarily this agent's: of two registrations with different keys at once,
  // the one pinned last wins and every other credential goes, this one's included if it lost.
  const pinned = deps.pins.runtime(body.runtime) ?? body.recipient;
  const ids = await deps.agents.credentialsOfOtherKeys(body.runtime, pinned);
  for (const id of ids) await deps.tokens.revoke(id);
  if (ids.length > 0)
    deps.logger.info(
      { runtime: body.runtime, credentials: ids.length },
      'revoked the credentials of earlier registrations with another key',
    );
  return ids;
}

/**
 * The runtime credential of a registration. A retry (the same agent, its first answer lost) gets a fresh
 * one and the first is revoked: a credential nobody received must not stay valid. Recorded by compare and
 * set, so that of two attempts racing, the loser revokes its own credential and the agent retries.
 */
async function issueCredential(
  deps: AgentRegistrationDeps,
  runtime: string,
  registration: string,
  retry: { previous: string | null } | undefined,
): Promise<{ id: string; token: string }> {
  const credential = await deps.tokens.create({ name: `agent ${runtime}`, scopes: [`runtime:${runtime}`] });
  deps.redactor.register(credential.token);
  const previous = retry?.previous ?? null;
  if (!(await deps.agents.recordCredential(registration, credential.id, previous))) {
    await deps.tokens.revoke(credential.id);
    throw new UnavailableError('Another registration with this token is in progress; retry in a moment.');
  }
  if (previous !== null) await deps.tokens.revoke(previous);
  return credential;
}

async function pinAndReseal(
  deps: AgentRegistrationDeps,
  current: RuntimeV1alpha1,
  body: RegisterRequest,
): Promise<string | null> {
  const name = body.runtime;
  const samePin = deps.pins.runtime(name) === body.recipient;
  if (samePin && current.spec.recipient === body.recipient && current.spec.version === body.version)
    return null;
  const { commit } = await deps.repo.mutate(
    `runtime: agent of ${name} registered (${body.version}); re-seal its integrations`,
    async (tx) => {
      const snap = deps.repo.snapshot();
      const fresh = snap.runtimes.get(name) ?? current;
      const rt: RuntimeV1alpha1 = {
        ...fresh,
        spec: { ...fresh.spec, recipient: body.recipient, version: body.version },
      };
      await tx.write(runtimePath(name), stringify(rt));
      const withRuntime: ConfigSnapshot = { ...snap, runtimes: new Map([...snap.runtimes, [name, rt]]) };
      const pending = new Map([[`runtime/${name}`, body.recipient]]);
      await deps.integrations.resealAll(tx, withRuntime, { pins: overlayPins(deps.pins, pending) });
    },
  );
  // Pinned once committed, as `runtime add` does: from now on secrets are sealed for this key.
  await deps.pins.pinRuntime(name, body.recipient, 'registration');
  await deps.repo.sync();
  return commit;
}
