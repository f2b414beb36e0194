import type { Command } from 'commander';
import type { AgentOptions } from '../../agent/options.js';
import { InputError } from '../../domain/errors.js';
import { globals } from './common.js';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      "run a remote hybrid runtime's work where it lives (dials out to the control plane; see docs/runtime-agent.md)",
    )
    .requiredOption(
      '--runtime <name>',
      'the runtime this agent serves (env IMAGETRAIL_AGENT_RUNTIME)',
      process.env['IMAGETRAIL_AGENT_RUNTIME'],
    )
    .option('--server <url>', "the control plane's http(s) URL (env IMAGETRAIL_SERVER)")
    .option(
      '--data-dir <dir>',
      "the agent's own directory: its age identity and runtime credential, 0600; never a server's data directory (env IMAGETRAIL_AGENT_DATA_DIR; default .imagetrail-agent)",
    )
    .option(
      '--concurrency <n>',
      'jobs run at once (env IMAGETRAIL_AGENT_CONCURRENCY; default 4)',
      process.env['IMAGETRAIL_AGENT_CONCURRENCY'],
    )
    .option(
      '--registration-token-file <file>',
      'first start: the one-time registration token (or env IMAGETRAIL_REGISTRATION_TOKEN; never on the command line)',
    )
    .option(
      '--health-port <port>',
      'serve /livez, /readyz (claims reach the control plane) and /healthz on PORT (env IMAGETRAIL_AGENT_HEALTH_PORT)',
      process.env['IMAGETRAIL_AGENT_HEALTH_PORT'],
    )
    .option(
      '--health-host <address>',
      'address of the health port (env IMAGETRAIL_AGENT_HEALTH_HOST; default 127.0.0.1; in a pod 0.0.0.0, for the kubelet)',
      process.env['IMAGETRAIL_AGENT_HEALTH_HOST'],
    )
    .option(
      '--watch-deployments',
      'watch this cluster (in-cluster service account or KUBECONFIG) and report where each image digest runs (env IMAGETRAIL_AGENT_WATCH_DEPLOYMENTS=true)',
    )
    .option(
      '--allow-endpoint <pattern...>',
      'hosts credentials may be sent to over http or as non-AWS endpoints, as for serve (env IMAGETRAIL_ALLOW_ENDPOINTS)',
    )
    .action(async (o: Record<string, string | string[] | undefined>, cmd: Command) => {
      const { runAgent } = await import('../../agent/agent.js');
      const { VERSION } = await import('../../version.js');
      await runAgent(agentOptions(o, globals(cmd), process.env), VERSION, process.env, undefined, (line) =>
        process.stderr.write(line + '\n'),
      );
    });
}

/** The agent's options from its flags, each with its variable (validated by runAgent). */
function agentOptions(
  o: Record<string, string | string[] | undefined>,
  { server, dataDir: rootDataDir }: { server?: string | undefined; dataDir?: string | undefined },
  env: NodeJS.ProcessEnv,
): AgentOptions {
  const allow =
    (o['allowEndpoint'] as string[] | undefined) ??
    (env['IMAGETRAIL_ALLOW_ENDPOINTS'] ?? '').split(',').filter((p) => p.trim() !== '');
  const fromEnv = (name: string) => (env[name] ? env[name] : undefined);
  return {
    server: server ?? env['IMAGETRAIL_SERVER'] ?? '',
    runtime: o['runtime'] as string,
    ...agentDataDir(o['dataDir'] as string | undefined, rootDataDir, env),
    ...(o['concurrency'] ? { concurrency: o['concurrency'] } : {}),
    ...(o['registrationTokenFile'] ? { registrationTokenFile: o['registrationTokenFile'] as string } : {}),
    ...(o['healthPort'] ? { healthPort: o['healthPort'] } : {}),
    ...(o['healthHost'] ? { healthHost: o['healthHost'] as string } : {}),
    allowEndpoints: allow,
    watchDeployments:
      o['watchDeployments'] === (true as unknown) || env['IMAGETRAIL_AGENT_WATCH_DEPLOYMENTS'] === 'true',
    ...(fromEnv('IMAGETRAIL_AWS_TIMEOUT_MS')
      ? { awsRequestTimeoutMs: fromEnv('IMAGETRAIL_AWS_TIMEOUT_MS') }
      : {}),
    ...(fromEnv('IMAGETRAIL_AWS_MAX_ATTEMPTS')
      ? { awsMaxAttempts: fromEnv('IMAGETRAIL_AWS_MAX_ATTEMPTS') }
      : {}),
    ...(fromEnv('IMAGETRAIL_AGENT_WAIT_MS') ? { waitMs: fromEnv('IMAGETRAIL_AGENT_WAIT_MS') } : {}),
    ...(fromEnv('IMAGETRAIL_AGENT_SHUTDOWN_GRACE_MS')
      ? { shutdownGraceMs: fromEnv('IMAGETRAIL_AGENT_SHUTDOWN_GRACE_MS') }
      : {}),
    ...(fromEnv('IMAGETRAIL_LOG_LEVEL') ? { logLevel: fromEnv('IMAGETRAIL_LOG_LEVEL') as 'info' } : {}),
  };
}

/**
 * The agent's own directory: --data-dir, else IMAGETRAIL_AGENT_DATA_DIR, else AgentOptions' default. Not
 * IMAGETRAIL_DATA_DIR, nor a --data-dir before `agent`: those name a server's directory, which an agent must
 * not share. Given alone, they are refused rather than ignored: an agent that used to read them would
 * otherwise start from an empty directory and ask for a new registration.
 */
function agentDataDir(
  own: string | undefined,
  root: string | undefined,
  env: NodeJS.ProcessEnv,
): { dataDir?: string } {
  const dir = own ?? env['IMAGETRAIL_AGENT_DATA_DIR'];
  if (dir) return { dataDir: dir };
  const server =
    root !== undefined
      ? `--data-dir ${root} (before "agent")`
      : env['IMAGETRAIL_DATA_DIR']
        ? `IMAGETRAIL_DATA_DIR=${env['IMAGETRAIL_DATA_DIR']}`
        : undefined;
  if (server === undefined) return {}; // the options' default
  throw new InputError(`${server} names a server's data directory, which the agent does not use.`, {
    hints: [
      "Give the agent's own directory: imagetrail agent --data-dir DIR …, or IMAGETRAIL_AGENT_DATA_DIR=DIR.",
      'An agent that kept its data there before: IMAGETRAIL_AGENT_DATA_DIR=$IMAGETRAIL_DATA_DIR (the same directory).',
    ],
  });
}
