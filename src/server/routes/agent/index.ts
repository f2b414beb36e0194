import { Hono } from 'hono';
import { AuthenticationError, NotFoundError } from '../../../domain/errors.js';
import { parseInput } from '../../../domain/parse.js';
import { ResourceName } from '../../../domain/names.js';
import type { AgentHub } from '../../../runtimes/agent-hub.js';
import type { TokenStore } from '../../../store/token-store.js';
import { bearerAuth } from '../../auth.js';
import type { AppEnv } from '../../app.js';
import { jsonBody, limitBody } from '../body.js';

/** Results carry image facts (platforms, layers, labels): more room than the API's other bodies. */
const MAX_AGENT_BODY = 4 * 1024 * 1024;

/**
 * `/api/v1/agent/…`: the runtime agents' side of the API (src/contract/agent-protocol.ts). `register`
 * takes a one-time registration token; everything else a runtime credential (scope `runtime:<name>`),
 * checked against the runtime of each job it touches.
 */
export function agentRoutes(deps: { agents?: AgentHub | undefined; tokens: TokenStore }): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const hub = {
    get dispatch() {
      return need().dispatch;
    },
    register: (token: string, body: unknown) => need().register(token, body),
  };
  const need = (): AgentHub => {
    if (!deps.agents) throw new NotFoundError('This server has no runtime agents.');
    return deps.agents;
  };
  // Every route here reads its body with jsonBody: a chunked one is counted as it is read (ADR 0040).
  r.use(limitBody(MAX_AGENT_BODY, { countInJsonBody: true }));
  r.post('/register', async (c) => {
    const token = /^Bearer +(\S+) *$/i.exec(c.req.header('Authorization') ?? '')?.[1];
    if (!token) {
      throw new AuthenticationError('Registration needs the registration token as a Bearer token.', {
        hints: ['Give the agent --registration-token-file FILE or IMAGETRAIL_REGISTRATION_TOKEN.'],
      });
    }
    return c.json(await hub.register(token, await jsonBody(c)), 201);
  });
  r.use('*', bearerAuth({ tokens: deps.tokens }));
  r.post('/claim', async (c) =>
    c.json(await hub.dispatch.claim(c.get('principal'), await jsonBody(c), c.req.raw.signal)),
  );
  r.post('/jobs/:id/renew', async (c) =>
    c.json(await hub.dispatch.renew(c.get('principal'), c.req.param('id'), await jsonBody(c))),
  );
  r.post('/jobs/:id/complete', async (c) =>
    c.json(await hub.dispatch.complete(c.get('principal'), c.req.param('id'), await jsonBody(c))),
  );
  r.post('/leave', async (c) => c.json(await hub.dispatch.leave(c.get('principal'), await jsonBody(c))));
  r.post('/jobs/:id/release', async (c) =>
    c.json(await hub.dispatch.release(c.get('principal'), c.req.param('id'), await jsonBody(c))),
  );
  r.post('/tasks/:id/renew', async (c) =>
    c.json(await need().tasks.renew(c.get('principal'), c.req.param('id'), await jsonBody(c))),
  );
  r.post('/tasks/:id/complete', async (c) =>
    c.json(await need().tasks.complete(c.get('principal'), c.req.param('id'), await jsonBody(c))),
  );
  r.get('/snapshot', (c) =>
    c.json(
      hub.dispatch.snapshot(
        c.get('principal'),
        parseInput(ResourceName, c.req.query('runtime') ?? '', 'runtime'),
      ),
    ),
  );
  return r;
}
