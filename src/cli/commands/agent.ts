import type { Command } from 'commander';
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
      'serve /healthz on 127.0.0.1:PORT (env IMAGETRAIL_AGENT_HEALTH_PORT)',
      process.env['IMAGETRAIL_AGENT_HEALTH_PORT'],
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
      const g = globals(cmd);
      const env = process.env;
      const allow =
        (o['allowEndpoint'] as string[] | undefined) ??
        (env['IMAGETRAIL_ALLOW_ENDPOINTS'] ?? '').split(',').filter((p) => p.trim() !== '');
      await runAgent(
        {
          server: g.server ?? env['IMAGETRAIL_SERVER'] ?? '',
          runtime: o['runtime'] as string,
          // Not IMAGETRAIL_DATA_DIR: that names a server's data directory, which an agent must not share.
          dataDir:
            (o['dataDir'] as string | undefined) ?? env['IMAGETRAIL_AGENT_DATA_DIR'] ?? '.imagetrail-agent',
          ...(o['concurrency'] ? { concurrency: o['concurrency'] } : {}),
          ...(o['registrationTokenFile']
            ? { registrationTokenFile: o['registrationTokenFile'] as string }
            : {}),
          ...(o['healthPort'] ? { healthPort: o['healthPort'] } : {}),
          allowEndpoints: allow,
          watchDeployments:
            o['watchDeployments'] === (true as unknown) ||
            env['IMAGETRAIL_AGENT_WATCH_DEPLOYMENTS'] === 'true',
          ...(env['IMAGETRAIL_AWS_TIMEOUT_MS']
            ? { awsRequestTimeoutMs: env['IMAGETRAIL_AWS_TIMEOUT_MS'] }
            : {}),
          ...(env['IMAGETRAIL_AWS_MAX_ATTEMPTS']
            ? { awsMaxAttempts: env['IMAGETRAIL_AWS_MAX_ATTEMPTS'] }
            : {}),
          ...(env['IMAGETRAIL_AGENT_WAIT_MS'] ? { waitMs: env['IMAGETRAIL_AGENT_WAIT_MS'] } : {}),
          ...(env['IMAGETRAIL_AGENT_SHUTDOWN_GRACE_MS']
            ? { shutdownGraceMs: env['IMAGETRAIL_AGENT_SHUTDOWN_GRACE_MS'] }
            : {}),
          ...(env['IMAGETRAIL_LOG_LEVEL'] ? { logLevel: env['IMAGETRAIL_LOG_LEVEL'] as 'info' } : {}),
        },
        VERSION,
        process.env,
        undefined,
        (line) => process.stderr.write(line + '\n'),
      );
    });
}
