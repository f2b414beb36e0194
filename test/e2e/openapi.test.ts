import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';

// The built server answers its OpenAPI document without a token, and the document validates.
let server: ServerHandle;
beforeAll(async () => {
  server = await startImagetrail();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

it('GET /api/v1/openapi.json answers a valid OpenAPI 3.1 document without a token', async () => {
  const res = await fetch(`${server.url}/api/v1/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/image-reports', '/integrations/{name}']));
  const checked = await new Validator().validate(doc);
  expect(checked.errors).toBeUndefined();
  expect(checked.valid).toBe(true);
  // Every other read still needs a token.
  expect((await fetch(`${server.url}/api/v1/runtimes`)).status).toBe(401);
});
