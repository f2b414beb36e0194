import { readFile, writeFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logging/logger.js';
import { Redactor } from '../../logging/redactor.js';
import { FakeTokenStore } from '../../store/fake-token-store.js';
import { createApp, type AppDeps } from '../app.js';
import { openApiDocument } from './document.js';
import { ROUTES_BEGIN, ROUTES_END, routeList } from './markdown.js';

// The app is built only to read its route table and to call the public document route; the services
// behind the other routes are never reached, so they are left out.
function buildApp() {
  const redactor = new Redactor();
  const deps = {
    version: '9.9.9-test',
    redactor,
    logger: createLogger(redactor, { level: 'silent' }),
    tokens: new FakeTokenStore(),
    localRuntime: 'local',
  } as Partial<AppDeps> as AppDeps;
  return createApp(deps);
}

type Doc = {
  paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[] }>>;
};

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await new Validator().validate(openApiDocument('1.0.0'));
    expect(res.errors).toBeUndefined();
    expect(res.valid).toBe(true);
  });

  it('documents every /api/v1 route the app registers, and nothing it does not', () => {
    const registered = new Set(
      buildApp()
        .routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/api/v1/'))
        .map(
          (r) =>
            `${r.method} ${r.path
              .slice('/api/v1'.length)
              .replace(/\/$/, '')
              .replace(/:(\w+)/g, '{$1}')}`,
        ),
    );
    const doc = openApiDocument('1.0.0') as Doc;
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect(registered.size).toBeGreaterThan(20);
    expect([...registered].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((d) => !registered.has(d))).toEqual([]);
  });

  it('takes request bodies and queries from the zod schemas the routes parse with', () => {
    const doc = openApiDocument('1.0.0') as Doc;
    const body = (p: string, m: string) =>
      (doc.paths[p]?.[m]?.requestBody as { content: Record<string, { schema: Record<string, any> }> })
        .content['application/json']!.schema;
    // CreateToken: name and scopes, nothing else allowed.
    expect(body('/tokens', 'post')['required']).toEqual(['name', 'scopes']);
    expect(body('/tokens', 'post')['additionalProperties']).toBe(false);
    expect(body('/integrations/{name}', 'delete')['properties']['confirm']).toMatchObject({
      const: 'DELETE',
    });
    expect(Object.keys(body('/image-reports', 'post')['properties'])).toContain('image');
    expect(doc.paths['/audit']?.['get']?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['action', 'actor', 'since', 'cursor', 'limit']),
    );
    expect(doc.paths['/image-reports']?.['post']?.parameters?.map((p) => p.name)).toEqual([
      'Idempotency-Key',
    ]);
    expect(doc.paths['/images/{id}']?.['get']?.parameters?.map((p) => p.name)).toEqual(['id']);
  });

  it('is served without a token at GET /api/v1/openapi.json, while other reads still need one', async () => {
    const app = buildApp();
    const res = await app.request('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; info: { version: string } };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('9.9.9-test');
    expect((await app.request('/api/v1/tokens')).status).toBe(401);
  });

  it('docs/api.md lists the routes of the registry (IMAGETRAIL_UPDATE_API_DOCS=1 rewrites the list)', async () => {
    const file = new URL('../../../docs/api.md', import.meta.url);
    const text = await readFile(file, 'utf8');
    const start = text.indexOf(ROUTES_BEGIN);
    const end = text.indexOf(ROUTES_END);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const fresh = `${text.slice(0, start)}${ROUTES_BEGIN}\n\n${routeList()}\n\n${text.slice(end)}`;
    if (process.env['IMAGETRAIL_UPDATE_API_DOCS'] === '1') await writeFile(file, fresh);
    else expect(text, 'docs/api.md is stale: run npm run api-docs').toBe(fresh);
  });
});
