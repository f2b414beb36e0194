import { Hono } from 'hono';
import type * as z from 'zod';
import type { ImageDetail, ImageList } from '../../contract/image-answers.js';
import { NotFoundError } from '../../domain/errors.js';
import { parseInput } from '../../domain/parse.js';
import { ImageListQuery } from '../../contract/images.js';
import type { AppDeps, AppEnv } from '../app.js';

export function imageRoutes(deps: AppDeps): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', async (c) => {
    // One statement, "deployed in N" included (ADR 0032).
    const page = await deps.images.list(parseInput(ImageListQuery, c.req.query(), 'image query'));
    return c.json(page satisfies z.input<typeof ImageList>);
  });
  r.get('/:id', async (c) => {
    const id = c.req.param('id');
    const image = /^[\w-]{1,100}$/.test(id) ? await deps.images.get(id) : null;
    if (!image) throw new NotFoundError(`No image with id "${id}".`);
    if (!deps.deployments) return c.json(image satisfies z.input<typeof ImageDetail>);
    const deployments = await deps.deployments.forImage(image);
    return c.json({ ...image, deployments } satisfies z.input<typeof ImageDetail>);
  });
  return r;
}
