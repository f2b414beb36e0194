import { Hono } from 'hono';
import { NotFoundError } from '../../domain/errors.js';
import { parseInput } from '../../domain/parse.js';
import { ImageListQuery } from '../../contract/images.js';
import type { AppDeps, AppEnv } from '../app.js';

export function imageRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', async (c) =>
    c.json(await deps.images.list(parseInput(ImageListQuery, c.req.query(), 'image query'))),
  );
  r.get('/:id', async (c) => {
    const id = c.req.param('id');
    const image = /^[\w-]{1,100}$/.test(id) ? await deps.images.get(id) : null;
    if (!image) throw new NotFoundError(`No image with id "${id}".`);
    return c.json(image);
  });
  return r;
}
