import * as z from 'zod';
import { AGENT_PROTOCOL, LeaveResponse } from '../contract/agent-protocol.js';
import { parseEndpointPolicy, type EndpointPolicy } from '../domain/endpoints.js';
import { parseInput } from '../domain/parse.js';
import { AgentOptions } from './options.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { KeyStore } from '../config-repo/keys.js';
import { sleep } from './backoff.js';
import { openHealthPort, type HealthState } from './health.js';
import { observeDeployments } from './observe.js';
import { callerIdentity, newAgentId } from './identity.js';
import { credentialFor, startingPoint } from './start.js';
import { assertAgentDataDir } from './data-dir.js';
import { AgentSnapshot } from './snapshot.js';
import { AgentTransport } from './transport.js';
import { workerLoop, type AgentState } from './worker.js';
import type { RuntimeExecutor } from '../runtimes/executor.js';

export { AgentOptions } from './options.js';

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
  const start = await startingPoint(opts, server, env);
  const agentId = newAgentId();
  // The health port opens first: a kubelet's liveness probe must not restart an agent that is still
  // looking up its identity or registering (a commit and a re-seal), which would spend its token.
  let health: HealthState = { runtime: opts.runtime, agentId, connected: false, active: new Map() };
  const port =
    opts.healthPort === undefined
      ? undefined
      : await openHealthPort(() => health, { port: opts.healthPort, host: opts.healthHost });
  try {
    // The lookup runs in a child process (identity.ts): started first, it overlaps the key's loading.
    const lookup = lookUpIdentity();
    const keys = new KeyStore(opts.dataDir);
    const key = await keys.getOrCreate(opts.runtime);
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
    const state = agentState({ opts, transport, keys, redactor, logger, stop, agentId, version, identity });
    health = state;
    await serve(state, opts, stop, announce);
  } finally {
    await port?.close();
  }
}

/** The agent's working state, once it holds its runtime credential. */
function agentState(d: {
  opts: z.output<typeof AgentOptions>;
  transport: AgentTransport;
  keys: KeyStore;
  redactor: Redactor;
  logger: Logger;
  stop: AbortSignal;
  agentId: string;
  version: string;
  identity: AgentState['awsIdentity'];
}): AgentState {
  const { opts, transport, keys, redactor, logger, stop } = d;
  const endpoints = parseEndpointPolicy(opts.allowEndpoints);
  const snapshot = new AgentSnapshot(transport, opts.runtime);
  const { pipeline, executor } = lazyRuntimeParts({ opts, snapshot, keys, redactor, logger, endpoints });
  return {
    ...{ transport, snapshot, pipeline, redactor, logger, stop, keys, executor, endpoints },
    runtime: opts.runtime,
    agentId: d.agentId,
    version: d.version,
    awsIdentity: d.identity,
    waitMs: opts.waitMs,
    active: new Map(),
    connected: false,
    undelivered: new Set(),
  };
}

/** Workers, the deployment observer: until stopped, or one of them fails; then the jobs go back. */
async function serve(
  state: AgentState,
  opts: z.output<typeof AgentOptions>,
  stop: AbortSignal,
  announce: ((line: string) => void) | undefined,
): Promise<void> {
  const { transport, logger, agentId, version } = state;
  const server = transport.baseUrl;
  const identity = state.awsIdentity;
  const fatal = new AbortController();
  const running = AbortSignal.any([stop, fatal.signal]);
  let failure: Error | undefined;
  const tasks: AgentTask[] = [];
  for (let i = 0; i < opts.concurrency; i++) tasks.push((signal) => workerLoop(state, signal));
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

function shutdownSignal(): AbortSignal {
  const ac = new AbortController();
  process.once('SIGTERM', () => ac.abort());
  process.once('SIGINT', () => ac.abort());
  return ac.signal;
}
