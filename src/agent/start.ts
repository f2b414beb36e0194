import type * as z from 'zod';
import { AGENT_PROTOCOL, RegisterResponse } from '../contract/agent-protocol.js';
import { InputError, isAppError } from '../domain/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { AgentOptions } from './options.js';
import { backoffMs, sleep } from './backoff.js';
import { readCredential, registrationToken, writeCredential, type StoredCredential } from './identity.js';
import type { AgentTransport } from './transport.js';

/*
 * What an agent needs before it can work: the runtime credential kept from an earlier start, bound to the
 * control plane that issued it, or a registration with the one-time token.
 */

export interface StartCtx {
  opts: z.output<typeof AgentOptions>;
  server: string;
  transport: AgentTransport;
  redactor: Redactor;
  logger: Logger;
  stop: AbortSignal;
}

/** The credential kept from an earlier start, else the registration token this start must use. */
type StartingPoint = { stored: StoredCredential } | { token: string };

export async function startingPoint(
  opts: z.output<typeof AgentOptions>,
  server: string,
  env: NodeJS.ProcessEnv,
): Promise<StartingPoint> {
  const stored = await readCredential(opts.dataDir);
  if (stored) {
    if (stored.runtime !== opts.runtime) {
      throw new InputError(
        `The data directory ${opts.dataDir} holds the credential of runtime "${stored.runtime}", not "${opts.runtime}".`,
        { hints: ['Give each runtime its own --data-dir.'] },
      );
    }
    // A credential goes only to the control plane that issued it, never to a new origin.
    if (stored.server.replace(/\/+$/, '') !== server) {
      throw new InputError(
        `The credential in ${opts.dataDir} was issued by the control plane at ${stored.server}, not ${server}: it is not sent to another address.`,
        {
          hints: [
            `Start the agent with --server ${stored.server}.`,
            `The same control plane at a new address: change "server" in ${opts.dataDir}/credential.json. Another control plane: register with it, from a new data directory.`,
          ],
        },
      );
    }
    return { stored };
  }
  const token = await registrationToken(opts.registrationTokenFile, env);
  if (!token) {
    throw new InputError(`This agent is not registered yet (no ${opts.dataDir}/credential.json).`, {
      hints: [
        `Get a registration token with: imagetrail runtime token ${opts.runtime}`,
        'Give it with --registration-token-file FILE or IMAGETRAIL_REGISTRATION_TOKEN (never on the command line).',
      ],
    });
  }
  return { token };
}

/** The stored credential, or a registration with the one-time token (retried while unreachable). */
export async function credentialFor(
  ctx: StartCtx,
  start: StartingPoint,
  body: { agentId: string; version: string; recipient: string; awsIdentity: unknown },
): Promise<StoredCredential | undefined> {
  const { opts, logger } = ctx;
  if ('stored' in start) return start.stored;
  const { token } = start;
  ctx.redactor.register(token);
  ctx.transport.useToken(token);
  for (let attempt = 0; !ctx.stop.aborted; attempt++) {
    try {
      // Registration commits to Git (re-sealing every integration): slow on a big repository, and the token
      // is spent once the control plane accepts it, so the agent waits long rather than retry.
      const res = await ctx.transport.call(
        RegisterResponse,
        'POST',
        '/api/v1/agent/register',
        { protocol: AGENT_PROTOCOL, runtime: opts.runtime, ...body },
        { timeoutMs: 300_000 },
      );
      const cred = {
        server: ctx.server,
        runtime: res.runtime,
        credential: res.credential,
        credentialId: res.credentialId,
      };
      await writeCredential(opts.dataDir, cred);
      logger.info({ runtime: res.runtime, commit: res.commit }, 'registered with the control plane');
      return cred;
    } catch (err) {
      if (isAppError(err) && err.kind !== 'unreachable' && err.kind !== 'unavailable') throw err;
      const wait = backoffMs(attempt);
      logger.warn({ err }, `cannot register yet; retrying in ${Math.round(wait)} ms`);
      await sleep(wait, ctx.stop);
    }
  }
  return undefined;
}
