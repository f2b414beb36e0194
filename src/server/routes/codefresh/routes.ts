import { Hono, type Context } from 'hono';
import type { ClientAddress } from '../../client-address.js';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError } from '../../../domain/errors.js';
import type { Logger } from '../../../logging/logger.js';
import type { Redactor } from '../../../logging/redactor.js';
import type { ConfigRepo } from '../../../config-repo/workspace.js';
import type { ReportService } from '../../../enrichment/report-service.js';
import type { Principal, TokenStore } from '../../../store/token-store.js';
import { bearerAuth, type AuthEnv } from '../../auth.js';
import { runtimeLookup } from './graphql.js';
import { imageReport } from './image-report.js';

export interface CodefreshStreamTimers {
  /** How often the stream says it is alive (the client's `heartbeat`). */
  heartbeatMs: number;
  /** First poll of the report's progress; it backs off to 1 s. */
  pollMs: number;
  /** The stream gives up (with an `error`) after this long; the report itself keeps going. */
  maxWaitMs: number;
}

export interface CodefreshDeps {
  logger: Logger;
  redactor: Redactor;
  repo: Pick<ConfigRepo, 'snapshot'>;
  tokens: Pick<TokenStore, 'verify' | 'touch'>;
  reports: Pick<ReportService, 'accept' | 'get'>;
  /** --public-url: what the runtime lookup answers as the runtime's ingress host. */
  publicUrl: string | undefined;
  stream: CodefreshStreamTimers;
  /** Who a request comes from, for the auth slow-down (behind `--trusted-proxy`). */
  clientAddress?: ClientAddress | undefined;
}

export const DEFAULT_STREAM_TIMERS: CodefreshStreamTimers = {
  heartbeatMs: 10_000,
  pollMs: 250,
  maxWaitMs: 15 * 60_000,
};

/**
 * What Codefresh's unchanged report-image client calls (docs/migrate-from-codefresh.md): the platform's
 * runtime lookup and the runtime's image-report stream, with the raw `authorization: <token>` header it
 * sends. Mounted at `/`, before the dashboard's fallback, which would otherwise answer these GETs with
 * index.html.
 */
export function codefreshRoutes(deps: CodefreshDeps): Hono<AuthEnv> {
  const r = new Hono<AuthEnv>();
  const auth = bearerAuth({
    tokens: deps.tokens,
    rawToken: true,
    ...(deps.clientAddress ? { clientAddress: deps.clientAddress } : {}),
  });
  // The middleware throws taxonomy errors; run it here so each endpoint answers them in its own protocol.
  const principal = (c: Context<AuthEnv, string>) => async (): Promise<Principal> => {
    await auth(c, () => Promise.resolve());
    return c.get('principal');
  };
  r.post(
    '/2.0/api/graphql',
    bodyLimit({
      maxSize: 16 * 1024,
      onError: () => {
        throw new PayloadTooLargeError('A runtime lookup is a few hundred bytes.');
      },
    }),
    (c) => runtimeLookup(c, deps, principal(c)),
  );
  for (const path of [
    '/app-proxy/api/image-report',
    '/api/image-report',
    '/cf/runtimes/:runtime/app-proxy/api/image-report',
    '/cf/runtimes/:runtime/api/image-report',
  ]) {
    r.get(path, (c) => imageReport(c, deps, principal(c)));
  }
  return r;
}
