import { Hono } from 'hono';
import type { TokenCreated, TokenList, TokenRevoked } from '../../contract/admin-answers.js';
import * as z from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import { parseInput } from '../../domain/parse.js';
import { Scope } from '../../store/token-store.js';
import type { AppDeps, AppEnv } from '../app.js';
import { recordAudit } from './audit.js';
import { jsonBody } from './body.js';

export const CreateToken = z
  .object({
    name: z.string().min(1).max(100),
    scopes: z
      .array(Scope)
      .min(1, 'give at least one scope: admin, report, viewer, metrics or runtime:<name>'),
  })
  .strict();

export function tokenRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', async (c) => c.json({ items: await deps.tokens.list() } satisfies z.input<typeof TokenList>));
  r.post('/', async (c) => {
    const input = parseInput(CreateToken, await jsonBody(c));
    const created = await deps.tokens.create(input);
    await recordAudit(deps.audit, c, 'token.create', created.id, { name: input.name, scopes: input.scopes });
    // The plaintext token is shown once, here; only its hash is stored.
    return c.json(created satisfies z.input<typeof TokenCreated>, 201);
  });
  r.delete('/:id', async (c) => {
    const ok = await deps.tokens.revoke(c.req.param('id'));
    if (!ok) throw new NotFoundError(`No token with id "${c.req.param('id')}".`);
    await recordAudit(deps.audit, c, 'token.revoke', c.req.param('id'));
    return c.json({ revoked: true } satisfies z.input<typeof TokenRevoked>);
  });
  return r;
}
