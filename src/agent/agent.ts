import * as z from 'zod';
import { AGENT_PROTOCOL, LeaveResponse, RegisterResponse } from '../contract/agent-protocol.js';
import { parseEndpointPolicy, type EndpointPolicy } from '../domain/endpoints.js';
import { InputError, isAppError } from '../domain/errors.js';
import { ResourceName } from '../domain/names.js';
import { parseInput } from '../domain/parse.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { KeyStore } from '../config-repo/keys.js';
import { backoffMs, sleep } from './backoff.js';
import { startHealthServer } from './health.js';
import { observeDeployments } from './observe.js';
import {
  callerIdentity,
  newAgentId,
  readCredential,
  registrationToken,
  writeCredential,
  type StoredCredential,
} from './identity.js';
import { assertAgentDataDir } from './data-dir.js';
import { AgentSnapshot } from './snapshot.js';
import { AgentTransport } from './transport.js';
import { workerLoop, type AgentState } from './worker.js';
import type { RuntimeExecutor } from '../runtimes/executor.js';

export const AgentOptions = z.object({
  server: z.url({
    protocol: /^https?$/,
    error: '--server (or IMAGETRAIL_SERVER) must be the http(s) URL of the control plane',
  }),
  runtime: ResourceName,
  dataDir: z.string().min(1).default('.imagetrail-agent'),
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  registrationTokenFile: z.string().min(1).optional(),
  healthPort: z.coerce.number().int().min(0).max(65535).optional(),
  /** Loopback unless told: in a pod the kubelet probes the pod's address (the manifest: 0.0.0.0). */
  healthHost: z.string().min(1).default('127.0.0.1'),
  allowEndpoints: z.array(z.string()).default([]),
  awsRequestTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(10_000),
  awsMaxAttempts: z.coerce.number().int().min(1).max(10).default(3),
  /** How long one claim may wait at the control plane for work. */
  waitMs: z.coerce.number().int().min(0).max(60_000).default(20_000),
  /** On SIGTERM, running jobs get this long to finish before they are handed back. */
  shutdownGraceMs: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Watch this cluster's pods and report where each digest runs (docs/deployments.md). */
  watchDeployments: z.boolean().default(false),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type AgentOptions = z.input<typeof AgentOptions>;

/** A background task of the agent (workers, health server, deployment observer): runs until `signal` aborts. */
export type AgentTask = (signal: AbortSignal) => Promise<void>;

/**
 * `imagetrail agent`: runs a remote hybrid runtime's work where the runtime lives, with its own AWS
 * identity and age key. Dials out only. Resolves when stopped (SIGTERM/SIGINT); rejects with the error
 * taxonomy when it cannot go on (credential revoked, protocol mismatch, not registered).
 */
export async function runAgent(
  raw: AgentOptions,
  version: string,
  env: NodeJS.ProcessEnv = process.env,
  stop: AbortSignal = shutdownSignal(),
  /** One plain line for a person at the terminal once it serves (the log lines are JSON), as `serve` says. */
  announce?: (line: string) => void,
): Promise<void> {
  const opts = parseInput(AgentOptions, raw, 'agent options');
  const redactor = new Redactor();
  const logger = createLogger(redactor, { level: opts.logLevel });
  const server = opts.server.replace(/\/+$/, '');
  const lookUpIdentity = callerIdentity(logger, opts.awsRequestTimeoutMs, env);
  // What the start needs from the operator is checked before any work: a wrong directory or a missing token
  // is said at once, and leaves no key behind.
  await assertAgentDataDir(opts.dataDir);
  const start = await startingPoint(opts, env);
  // The lookup runs in a child process (identity.ts): started first, it overlaps the key's loading.
  const lookup = lookUpIdentity();
  const keys = new KeyStore(opts.dataDir);
  const key = await keys.getOrCreate(opts.runtime);
  const agentId = newAgentId();
  const identity = await lookup;
  const transport = new AgentTransport(server, '');
  const cred = await credentialFor({ opts, server, transport, redactor, logger, stop }, start, {
    agentId,
    version,
    recipient: key.recipient,
    awsIdentity: identity,
  });
  if (!cred) return;
  redactor.register(cred.credential);
  transport.useToken(cred.credential);

  const endpoints = parseEndpointPolicy(opts.allowEndpoints);
  const snapshot = new AgentSnapshot(transport, opts.runtime);
  const { pipeline, executor } = lazyRuntimeParts({ opts, snapshot, keys, redactor, logger, endpoints });
  const state: AgentState = {
    ...{ transport, snapshot, pipeline, redactor, logger, stop, keys, executor, endpoints },
    runtime: opts.runtime,
    agentId,
    version,
    awsIdentity: identity,
    waitMs: opts.waitMs,
    active: new Map(),
    connected: false,
    undelivered: new Set(),
  };
  const fatal = new AbortController();
  const running = AbortSignal.any([stop, fatal.signal]);
  let failure: Error | undefined;
  const tasks: AgentTask[] = [];
  for (let i = 0; i < opts.concurrency; i++) tasks.push((signal) => workerLoop(state, signal));
  if (opts.healthPort !== undefined)
    tasks.push((signal) =>
      startHealthServer(state, { port: opts.healthPort!, host: opts.healthHost }, signal),
    );
  if (opts.watchDeployments)
    tasks.push((signal) => observeDeployments({ transport, runtime: opts.runtime, logger }, signal));
  logger.info(
    { runtime: opts.runtime, agent: agentId, server, awsIdentity: identity?.arn ?? null },
    `imagetrail agent ${version} serving runtime ${opts.runtime}`,
  );
  announce?.(
    `imagetrail agent ${version} serving runtime ${opts.runtime} for ${server}, as ${identity?.arn ?? 'no AWS identity'} (data in ${opts.dataDir}; Ctrl-C stops it)`,
  );
  await Promise.all(
    tasks.map((t) =>
      t(running).catch((err: unknown) => {
        failure ??= err instanceof Error ? err : new Error(`agent task failed: ${JSON.stringify(err)}`);
        fatal.abort();
      }),
    ),
  );
  await handBack(state, opts.shutdownGraceMs);
  await sayLeaving(state);
  if (failure) throw failure;
  logger.info({ runtime: opts.runtime, agent: agentId }, 'agent stopped');
}

/**
 * The enrichment pipeline and executor (registry clients, the ECR SDK, GitHub and Jira clients), loaded at
 * the first job rather than at start: with the AWS SDK they are most of an idle agent's memory
 * (docs/benchmarks.md, "Runtime agent").
 */
function lazyRuntimeParts(d: {
  opts: z.output<typeof AgentOptions>;
  snapshot: AgentSnapshot;
  keys: KeyStore;
  redactor: Redactor;
  logger: Logger;
  endpoints: EndpointPolicy;
}): { pipeline: AgentState['pipeline']; executor: () => Promise<RuntimeExecutor> } {
  const { opts, snapshot, keys, redactor, logger, endpoints } = d;
  const parts = once(async () => {
    const [{ EnrichmentPipeline }, { GitHubGitEnricher }, { JiraIssueEnricher }, { RuntimeExecutor }] =
      await Promise.all([
        import('../enrichment/pipeline.js'),
        import('../enrichment/git-enricher.js'),
        import('../enrichment/issue-enricher.js'),
        import('../runtimes/executor.js'),
      ]);
    const executor = new RuntimeExecutor({
      localRuntime: opts.runtime,
      redactor,
      requestTimeoutMs: opts.awsRequestTimeoutMs,
      maxAttempts: opts.awsMaxAttempts,
      logger,
    });
    const pipeline = new EnrichmentPipeline({
      ...{ repo: snapshot, keys, executor, redactor, logger, endpoints },
      git: new GitHubGitEnricher({ keys, redactor, endpoints }),
      issues: new JiraIssueEnricher({ keys, redactor, endpoints }),
    });
    return { executor, pipeline };
  });
  return {
    pipeline: {
      run: async (...args) => (await parts()).pipeline.run(...args),
      inspect: async (...args) => (await parts()).pipeline.inspect(...args),
    },
    executor: async () => (await parts()).executor,
  };
}

/** Runs `build` once, on first use; every caller gets the same promise. */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= build());
}

/** Jobs still running at shutdown get the grace period, then go back to the queue for another agent. */
async function handBack(state: AgentState, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (state.active.size > 0 && Date.now() < deadline) await sleep(50);
  for (const job of state.active.values()) {
    await state.transport
      .call(z.object({ released: z.boolean() }), 'POST', `/api/v1/agent/jobs/${job.id}/release`, {
        protocol: AGENT_PROTOCOL,
        leaseId: job.leaseId,
      })
      .then(() => state.logger.info({ report: job.id }, 'handed the job back to the control plane'))
      .catch((err: unknown) => state.logger.warn({ err, report: job.id }, 'could not hand the job back'));
  }
}

/**
 * Tells the control plane this agent stopped, so the runtime shows it at once (not after the "connected"
 * window) and a connection test waiting for it is answered then. Best effort: an older control plane, a
 * revoked credential or a network cut only leave the agent shown as it was, until the window passes.
 */
async function sayLeaving(state: AgentState): Promise<void> {
  const body = { protocol: AGENT_PROTOCOL, runtime: state.runtime, agentId: state.agentId };
  await state.transport
    .call(LeaveResponse, 'POST', '/api/v1/agent/leave', body, { timeoutMs: 3000 })
    .catch((err: unknown) =>
      state.logger.debug({ err }, 'could not tell the control plane this agent stopped'),
    );
}

interface StartCtx {
  opts: z.output<typeof AgentOptions>;
  server: string;
  transport: AgentTransport;
  redactor: Redactor;
  logger: Logger;
  stop: AbortSignal;
}

/** The credential kept from an earlier start, else the registration token this start must use. */
type StartingPoint = { stored: StoredCredential } | { token: string };

async function startingPoint(
  opts: z.output<typeof AgentOptions>,
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
async function credentialFor(
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

function shutdownSignal(): AbortSignal {
  const ac = new AbortController();
  process.once('SIGTERM', () => ac.abort());
  process.once('SIGINT', () => ac.abort());
  return ac.signal;
}
