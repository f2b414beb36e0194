import { Hono } from 'hono';
import { limitBody } from './routes/body.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { ConfigRepo } from '../config-repo/workspace.js';
import type { IntegrationService } from '../integrations/integration-service.js';
import type { RuntimeService } from '../runtimes/runtime-service.js';
import type { TokenStore } from '../store/token-store.js';
import type { AuditStore } from '../store/audit-store.js';
import { bearerAuth, requireScope, type AuthVariables } from './auth.js';
import { readsOr } from './read-access.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { integrationRoutes } from './routes/integrations.js';
import { runtimeRoutes } from './routes/runtimes.js';
import { configRoutes } from './routes/config.js';
import { tokenRoutes } from './routes/tokens.js';
import { auditRoutes } from './routes/audit.js';
import { sessionRoutes } from './routes/session.js';
import { ssoRoutes, type SsoDeps } from './routes/sso.js';
import { sessionOrBearer } from './sso/session-auth.js';
import { serveDashboard } from './static.js';
import { probeRoutes, type ReadinessCheck } from './probes.js';
import { clearDiskFullOnWrite, type DiskFullState } from './disk-full.js';
import { reportRoutes } from './routes/reports.js';
import { imageRoutes } from './routes/images.js';
import { inspectRoutes } from './routes/inspect.js';
import type { EnrichmentPipeline } from '../enrichment/pipeline.js';
import type { ReportService } from '../enrichment/report-service.js';
import type { ImageStore } from '../store/image-store.js';
import {
  codefreshRoutes,
  DEFAULT_STREAM_TIMERS,
  type CodefreshStreamTimers,
} from './routes/codefresh/routes.js';
import type { PrometheusMetrics } from './metrics/prometheus.js';
import { httpMetrics, metricsRoute } from './metrics/http.js';
import { openApiHandler } from './openapi/route.js';
import type { AgentHub } from '../runtimes/agent-hub.js';
import { agentRoutes } from './routes/agent/index.js';
import type { DeploymentService } from '../deployments/deployment-service.js';
import { deploymentRoutes, observationRoutes } from './routes/deployments.js';
import type { ClientAddress } from './client-address.js';

export interface AppDeps {
  version: string;
  logger: Logger;
  redactor: Redactor;
  repo: ConfigRepo;
  tokens: TokenStore;
  /** The audit trail: admin actions and sign-ins, read by admins only. */
  audit: AuditStore;
  integrations: IntegrationService;
  runtimes: RuntimeService;
  reports: ReportService;
  images: ImageStore;
  pipeline: Pick<EnrichmentPipeline, 'inspect'>;
  /** The in-process runtime, the default for reports and inspections. */
  localRuntime: string | undefined;
  /** Extra health facts (the runner's queue) for /healthz. */
  health?: () => Promise<Record<string, unknown>>;
  /** Named checks for /readyz. */
  readiness?: Record<string, ReadinessCheck>;
  /** Set by a write that failed on a full disk; turns /healthz and /readyz red until a write succeeds. */
  diskFull?: DiskFullState;
  /** The URL clients reach this server at (--public-url), for Codefresh's runtime lookup. */
  publicUrl?: string;
  /** Timers of the Codefresh-compatible report stream (tests shorten them). */
  codefreshStream?: Partial<CodefreshStreamTimers>;
  /** This server's metrics; without it there is no /metrics and nothing is timed. */
  metrics?: PrometheusMetrics;
  /** Dashboard single sign-on (OpenID Connect); without it only tokens sign in. */
  sso?: SsoDeps;
  /** Remote hybrid runtimes' agents (`/api/v1/agent/…`, registration tokens, agent facts in runtime views). */
  agents?: AgentHub;
  /** Deployment tracking (observations, intervals, applications); absent in tests that do not need it. */
  deployments?: DeploymentService;
  /** Who a request comes from, for the auth slow-down (behind `--trusted-proxy`); default: the TCP peer. */
  clientAddress?: ClientAddress;
}

export type AppEnv = { Variables: AuthVariables };

/** Request bodies are small JSON documents; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 256 * 1024;

/** The composition of the HTTP edge: each feature is a sub-app; handlers only parse, call and answer. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(
    errorHandler({
      logger: deps.logger,
      redactor: deps.redactor,
      ...(deps.diskFull ? { diskFull: deps.diskFull } : {}),
    }),
  );
  app.notFound(notFoundHandler);
  if (deps.metrics) app.use('*', httpMetrics(deps.metrics));

  app.route('/', probeRoutes(deps));

  // Before the API's bearer auth: the API description is public (src/server/openapi/route.ts).
  app.get('/api/v1/openapi.json', openApiHandler(deps.version));

  // Before the API: agents register with a one-time token, not an API token, and send bigger bodies.
  app.route('/api/v1/agent', agentRoutes(deps));

  const api = new Hono<AppEnv>();
  api.use(limitBody(MAX_BODY_BYTES));
  if (deps.diskFull) api.use(clearDiskFullOnWrite(deps.diskFull));
  const bearer = bearerAuth({
    tokens: deps.tokens,
    ...(deps.clientAddress ? { clientAddress: deps.clientAddress } : {}),
  });
  // With SSO, a dashboard session cookie also authenticates (CSRF token required for changes).
  api.use(
    deps.sso
      ? sessionOrBearer({ secure: deps.sso.settings.secureCookies, sessions: deps.sso.sessions }, bearer)
      : bearer,
  );
  // A viewer reads integrations (no route returns a secret) and runtimes; every other method is admin's.
  const adminOrViewerReads = readsOr(['admin', 'viewer'], ['admin']);
  // Before the runtimes' admin-only writes: a runtime token reports its own runtime's observations (the
  // service checks runtime:<name>); this sub-app answers, so the middleware below never runs for it.
  api.route('/runtimes', observationRoutes(deps));
  api.use('/integrations/*', adminOrViewerReads);
  api.use('/integrations', adminOrViewerReads);
  api.use('/runtimes/*', adminOrViewerReads);
  api.use('/runtimes', adminOrViewerReads);
  api.use('/config/*', requireScope('admin'));
  api.use('/config', requireScope('admin'));
  api.use('/tokens/*', requireScope('admin'));
  api.use('/tokens', requireScope('admin'));
  // The trail names who did what and when: an admin's to read, not a viewer's (docs/security.md).
  api.use('/audit', requireScope('admin'));
  api.use('/audit/*', requireScope('admin'));
  // Signing in to the dashboard needs a token that can use it.
  api.use('/session', requireScope('admin', 'viewer'));
  // POST /image-reports: any token may try; the service checks the report (or runtime:<name>) scope for
  // the report's runtime, which only the body names. Reading a report needs the report scope.
  api.use('/image-reports/:id', requireScope('report', 'admin', 'viewer'));
  api.on('GET', '/image-reports', requireScope('report', 'admin', 'viewer'));
  api.use('/images/*', requireScope('report', 'admin', 'viewer'));
  api.use('/images', requireScope('report', 'admin', 'viewer'));
  api.use('/inspect', requireScope('report', 'admin'));
  api.use('/deployments', requireScope('report', 'admin', 'viewer'));
  api.use('/deployments/*', requireScope('report', 'admin', 'viewer'));
  api.route('/deployments', deploymentRoutes(deps));
  api.route('/inspect', inspectRoutes(deps));
  api.route('/image-reports', reportRoutes(deps));
  api.route('/images', imageRoutes(deps));
  api.route('/integrations', integrationRoutes(deps));
  api.route('/runtimes', runtimeRoutes(deps));
  api.route('/config', configRoutes(deps));
  api.route('/tokens', tokenRoutes(deps));
  api.route('/audit', auditRoutes(deps));
  api.route('/session', sessionRoutes(deps));
  app.route('/api/v1', api);
  app.route('/auth', ssoRoutes(deps));
  app.route(
    '/',
    codefreshRoutes({
      ...deps,
      publicUrl: deps.publicUrl,
      stream: { ...DEFAULT_STREAM_TIMERS, ...deps.codefreshStream },
    }),
  );
  if (deps.metrics) app.route('/metrics', metricsRoute(deps.metrics, deps.tokens));
  app.use('*', serveDashboard()); // the dashboard (dist/web) at /, after the API
  return app;
}
