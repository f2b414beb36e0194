import type { Command } from 'commander';
import type { startServer as StartServer } from '../../server/serve.js';
import { globals } from './common.js';

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description(
      'run the imagetrail server (API, in-process runtime) on embedded defaults or the given stores',
    )
    .option(
      '--port <port>',
      'port to listen on (env IMAGETRAIL_PORT)',
      process.env['IMAGETRAIL_PORT'] ?? '8080',
    )
    .option(
      '--host <host>',
      'address to listen on (env IMAGETRAIL_HOST)',
      process.env['IMAGETRAIL_HOST'] ?? '127.0.0.1',
    )
    .option(
      '--config-repo <path|url>',
      'shared configuration repository: local path or URL[/sub/path][?ref=branch] (env IMAGETRAIL_CONFIG_REPO)',
    )
    .option('--database <url>', 'sqlite:FILE or postgres://… (env IMAGETRAIL_DATABASE)')
    .option(
      '--runtime-name <name>',
      'name of the in-process hybrid runtime (env IMAGETRAIL_RUNTIME_NAME)',
      process.env['IMAGETRAIL_RUNTIME_NAME'] ?? 'local',
    )
    .option(
      '--no-local-runtime',
      'run no in-process hybrid runtime: hybrid work is done by agents (imagetrail agent) only; hosted runtimes still run here (env IMAGETRAIL_NO_LOCAL_RUNTIME=1)',
    )
    .option(
      '--sync-interval <seconds>',
      'pull the shared configuration repository every N seconds (0: only on demand)',
      process.env['IMAGETRAIL_SYNC_INTERVAL'] ?? '60',
    )
    .option(
      '--max-issue-keys <n>',
      'Jira issue keys looked up per report, at most; the rest are named in the report (env IMAGETRAIL_MAX_ISSUE_KEYS, default 50)',
      process.env['IMAGETRAIL_MAX_ISSUE_KEYS'],
    )
    .option(
      '--allow-endpoint <pattern>',
      'let integrations send credentials to this host or host:port (* wildcard) over http, or use it as a non-AWS ECR API/STS endpoint; repeatable (env IMAGETRAIL_ALLOW_ENDPOINTS, comma-separated). Metadata addresses are refused regardless',
      (value: string, prev: string[] | undefined) => [...(prev ?? []), value],
    )
    .option(
      '--public-url <url>',
      "the URL CI reaches this server at, told to Codefresh's report-image client (env IMAGETRAIL_PUBLIC_URL)",
    );
  securityOptions(serve).action(runServe);
}

/** Single sign-on, age identities, the first admin token and trusted proxies: the flags a production install sets. */
function securityOptions(c: Command): Command {
  return c
    .option(
      '--oidc-issuer <url>',
      'dashboard single sign-on: the OpenID Connect issuer (env IMAGETRAIL_OIDC_ISSUER); docs/sso.md',
    )
    .option('--oidc-client-id <id>', 'the client registered at the provider (env IMAGETRAIL_OIDC_CLIENT_ID)')
    .option(
      '--oidc-client-secret-file <file>',
      'file holding the client secret (or env IMAGETRAIL_OIDC_CLIENT_SECRET; never on the command line)',
    )
    .option(
      '--oidc-admin-group <group>',
      'members of this group sign in as admin (env IMAGETRAIL_OIDC_ADMIN_GROUP)',
    )
    .option(
      '--oidc-viewer-group <group>',
      'members of this group sign in as viewer (env IMAGETRAIL_OIDC_VIEWER_GROUP)',
    )
    .option(
      '--oidc-groups-claim <claim>',
      'the claim listing the groups (env IMAGETRAIL_OIDC_GROUPS_CLAIM, default groups)',
    )
    .option(
      '--oidc-scopes <scopes>',
      'scopes asked for (env IMAGETRAIL_OIDC_SCOPES, default "openid profile email")',
    )
    .option(
      '--oidc-session-hours <h>',
      'how long a dashboard session lasts (env IMAGETRAIL_OIDC_SESSION_HOURS, default 8)',
    )
    .option(
      '--identity-file <file>',
      "the control plane's age identity, the same on every replica (env IMAGETRAIL_IDENTITY_FILE; default: generated in the data directory)",
    )
    .option(
      '--local-runtime-identity-file <file>',
      "the in-process runtime's age identity, the same on every replica (env IMAGETRAIL_LOCAL_RUNTIME_IDENTITY_FILE)",
    )
    .option(
      '--admin-token-file <file>',
      'the first admin token (it_…), created in an empty store instead of a generated one (env IMAGETRAIL_ADMIN_TOKEN_FILE)',
    )
    .option(
      '--trusted-proxy <cidr>',
      'a load balancer or reverse proxy whose X-Forwarded-For names the client; repeatable (env IMAGETRAIL_TRUSTED_PROXIES, comma-separated)',
      (value: string, prev: string[] | undefined) => [...(prev ?? []), value],
    );
}

async function runServe(o: Record<string, string | undefined>, cmd: Command): Promise<void> {
  const { startServer } = await import('../../server/serve.js');
  const { VERSION, RUNTIME_VERSION } = await import('../../version.js');
  const server = await startServer(serverOptions(o, cmd, process.env), VERSION, RUNTIME_VERSION);
  process.stderr.write(
    `imagetrail ${VERSION} serving on ${server.url}` +
      (server.adminTokenFile
        ? `\nThe first admin token was written to ${server.adminTokenFile} (mode 0600).`
        : '') +
      '\n',
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The server's options from the flags, each with its IMAGETRAIL_* variable (validated by startServer). */
function serverOptions(
  o: Record<string, string | undefined>,
  cmd: Command,
  env: NodeJS.ProcessEnv,
): Parameters<typeof StartServer>[0] {
  const g = globals(cmd);
  return {
    port: o['port'],
    host: o['host'],
    dataDir: g.dataDir ?? env['IMAGETRAIL_DATA_DIR'] ?? '.imagetrail',
    // Only the default data directory is registered for discovery (README: "Finding the server").
    registerPointer: !(g.dataDir ?? env['IMAGETRAIL_DATA_DIR']),
    configRepo: o['configRepo'] ?? env['IMAGETRAIL_CONFIG_REPO'],
    database: o['database'] ?? env['IMAGETRAIL_DATABASE'],
    runtimeName: o['runtimeName'],
    localRuntime: (o['localRuntime'] as unknown as boolean) && env['IMAGETRAIL_NO_LOCAL_RUNTIME'] !== '1',
    syncIntervalSeconds: o['syncInterval'],
    awsRequestTimeoutMs: env['IMAGETRAIL_AWS_TIMEOUT_MS'],
    awsMaxAttempts: env['IMAGETRAIL_AWS_MAX_ATTEMPTS'],
    reportConcurrency: env['IMAGETRAIL_REPORT_CONCURRENCY'],
    reportLeaseMs: env['IMAGETRAIL_REPORT_LEASE_MS'],
    reportPollMs: env['IMAGETRAIL_REPORT_POLL_MS'],
    agentTaskTimeoutMs: env['IMAGETRAIL_AGENT_TASK_TIMEOUT_MS'],
    reportRetryBaseMs: env['IMAGETRAIL_REPORT_RETRY_BASE_MS'],
    logLevel: env['IMAGETRAIL_LOG_LEVEL'],
    maxIssueKeys: o['maxIssueKeys'],
    allowEndpoints:
      (o['allowEndpoint'] as unknown as string[] | undefined) ??
      (env['IMAGETRAIL_ALLOW_ENDPOINTS'] ?? '').split(',').filter((p) => p.trim() !== ''),
    publicUrl: o['publicUrl'] ?? env['IMAGETRAIL_PUBLIC_URL'],
    oidc: oidcOptions(o, env),
    identityFile: o['identityFile'] ?? (env['IMAGETRAIL_IDENTITY_FILE'] || undefined),
    localRuntimeIdentityFile:
      o['localRuntimeIdentityFile'] ?? (env['IMAGETRAIL_LOCAL_RUNTIME_IDENTITY_FILE'] || undefined),
    adminTokenFile: o['adminTokenFile'] ?? (env['IMAGETRAIL_ADMIN_TOKEN_FILE'] || undefined),
    trustedProxies:
      (o['trustedProxy'] as unknown as string[] | undefined) ??
      (env['IMAGETRAIL_TRUSTED_PROXIES'] ?? '').split(',').filter((p) => p.trim() !== ''),
  } as Parameters<typeof StartServer>[0];
}

/** The `--oidc-*` flags (each with its IMAGETRAIL_OIDC_* variable); undefined when no issuer is named. */
function oidcOptions(
  o: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> | undefined {
  const issuer = o['oidcIssuer'] ?? env['IMAGETRAIL_OIDC_ISSUER'];
  if (!issuer) return undefined;
  const pick = (flag: string, name: string) => o[flag] ?? env[`IMAGETRAIL_OIDC_${name}`];
  return {
    issuer,
    clientId: pick('oidcClientId', 'CLIENT_ID'),
    clientSecretFile: pick('oidcClientSecretFile', 'CLIENT_SECRET_FILE'),
    clientSecret: env['IMAGETRAIL_OIDC_CLIENT_SECRET'],
    adminGroup: pick('oidcAdminGroup', 'ADMIN_GROUP'),
    viewerGroup: pick('oidcViewerGroup', 'VIEWER_GROUP'),
    groupsClaim: pick('oidcGroupsClaim', 'GROUPS_CLAIM'),
    scopes: pick('oidcScopes', 'SCOPES'),
    sessionHours: pick('oidcSessionHours', 'SESSION_HOURS'),
  };
}
