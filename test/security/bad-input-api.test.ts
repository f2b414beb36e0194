import { describe, expect, it } from 'vitest';
import {
  arns,
  ecr,
  expectServerSurvived,
  load,
  names,
  refs,
  regions,
  send,
  urls,
  useCorpusServer,
  type Res,
} from './bad-input-corpus.js';

// The bad-input corpus (see bad-input-corpus.ts) thrown at the API of a real server: field by field, and as
// whole request bodies. Every malformed input must get a clear 4xx that names what to fix, never a 5xx,
// never a crash. Hand-edited YAML and the CLI: bad-input-config-cli.test.ts.

interface BodyCase {
  method: string;
  path: string;
  body?: unknown;
  gen?: { kind: 'deep-object' | 'deep-array'; depth: number };
  fill?: { at: string[]; value: string; count: number };
  why: string;
  status: number;
  field?: string;
}

const badJson = load<Array<{ text: string; why: string }>>('invalid-json.json');
const bodies = load<BodyCase[]>('api-bodies.json');

const create = (over: Record<string, unknown> = {}) => ({
  name: 'corpus-new',
  type: 'registry.ecr',
  sharing: { runtimes: ['local'] },
  ecr: ecr(),
  ...over,
});

const POSTS = [
  '/api/v1/integrations',
  '/api/v1/integrations/test',
  '/api/v1/runtimes',
  '/api/v1/tokens',
  '/api/v1/image-reports',
  '/api/v1/inspect',
];
const EXISTING = '/api/v1/integrations/corpus-existing';

/** Every status the corpus got, for the final "no 5xx at all" check. */
const seen: Array<{ what: string; status: number }> = [];

/**
 * The checks every refusal must pass: the expected 4xx, the error shape, a message, and when `field` is
 * given, a detail (or the message) naming that field. Returns a description of what is wrong, or null.
 */
function judge(what: string, r: Res, status: number | number[], field?: string): string | null {
  seen.push({ what, status: r.status });
  const ok = Array.isArray(status) ? status.includes(r.status) : r.status === status;
  const short = r.text.length > 400 ? r.text.slice(0, 400) + '…' : r.text;
  if (!ok) return `${what}: got ${r.status}, expected ${String(status)}: ${short}`;
  const err = r.json?.error;
  if (!err || typeof err.message !== 'string' || err.message.length < 5)
    return `${what}: no error message: ${short}`;
  if (!Array.isArray(err.details) || !Array.isArray(err.hints) || typeof err.id !== 'string')
    return `${what}: error body is not {name,message,hints,details,id}: ${short}`;
  if (/internal/i.test(err.name)) return `${what}: internal error: ${short}`;
  if (field !== undefined && field !== '') {
    const paths: string[] = err.details.map((d: { path?: string }) => d.path ?? '');
    if (!paths.some((p) => p.startsWith(field)) && !err.message.includes(field)) {
      return `${what}: the error does not name ${field}: ${short}`;
    }
  }
  return null;
}

function expectNoFailures(failures: Array<string | null>): void {
  const bad = failures.filter((f): f is string => f !== null);
  expect(bad, `${bad.length} input(s) not refused cleanly:\n${bad.join('\n')}`).toEqual([]);
}

function setAt(obj: any, at: string[], value: unknown): void {
  let cur = obj;
  for (const k of at.slice(0, -1)) cur = cur[k];
  cur[at[at.length - 1]!] = value;
}

function bodyText(c: BodyCase): string | undefined {
  if (c.gen?.kind === 'deep-object') return '{"a":'.repeat(c.gen.depth) + '1' + '}'.repeat(c.gen.depth);
  if (c.gen?.kind === 'deep-array') return '['.repeat(c.gen.depth) + ']'.repeat(c.gen.depth);
  if (c.body === undefined) return undefined;
  if (c.fill) {
    const b = structuredClone(c.body);
    setAt(b, c.fill.at, Array(c.fill.count).fill(c.fill.value));
    return JSON.stringify(b);
  }
  return JSON.stringify(c.body);
}

useCorpusServer();

describe('field corpora through the API', () => {
  it(`image references (${refs.length}): report and inspect answer 400 naming the reference`, async () => {
    const failures: Array<string | null> = [];
    for (const { value, why } of refs) {
      const r = await send('POST', '/api/v1/image-reports', {
        body: { image: value, registryIntegration: 'corpus-existing' },
      });
      const f = judge(`report image ${why} ${JSON.stringify(value.slice(0, 60))}`, r, 400);
      failures.push(
        f ??
          (/image reference|image/i.test(r.json.error.message + JSON.stringify(r.json.error.details))
            ? null
            : `report image ${why}: message does not mention the image: ${r.text.slice(0, 300)}`),
      );
      const i = await send('POST', '/api/v1/inspect', { body: { image: value } });
      failures.push(judge(`inspect ${why} ${JSON.stringify(value.slice(0, 60))}`, i, 400));
    }
    expectNoFailures(failures);
  });

  it(`IAM role ARNs (${arns.length}): create and draft test answer 400 on ecr.auth.roleArn`, async () => {
    const failures: Array<string | null> = [];
    for (const { value, why } of arns) {
      const e = ecr({ auth: { mode: 'iamRole', roleArn: value } });
      failures.push(
        judge(
          `create roleArn ${why}`,
          await send('POST', '/api/v1/integrations', { body: create({ ecr: e }) }),
          400,
          'ecr.auth.roleArn',
        ),
        judge(
          `draft roleArn ${why}`,
          await send('POST', '/api/v1/integrations/test', { body: { ecr: e } }),
          400,
          'ecr.auth.roleArn',
        ),
      );
    }
    expectNoFailures(failures);
  });

  it(`regions (${regions.length}): create and edit answer 400 on ecr.region`, async () => {
    const failures: Array<string | null> = [];
    for (const { value, why } of regions) {
      failures.push(
        judge(
          `create region ${why}`,
          await send('POST', '/api/v1/integrations', { body: create({ ecr: ecr({ region: value }) }) }),
          400,
          'ecr.region',
        ),
        judge(
          `edit region ${why}`,
          await send('PATCH', EXISTING, { body: { ecr: { region: value } } }),
          400,
          'ecr.region',
        ),
      );
    }
    expectNoFailures(failures);
  });

  it(`names (${names.length}): integration, runtime, sharing and path names are refused`, async () => {
    const failures: Array<string | null> = [];
    for (const { value, why } of names) {
      failures.push(
        judge(
          `integration name ${why}`,
          await send('POST', '/api/v1/integrations', { body: create({ name: value }) }),
          400,
          'name',
        ),
        judge(
          `runtime name ${why}`,
          await send('POST', '/api/v1/runtimes', { body: { name: value, type: 'hybrid', version: '0.2.0' } }),
          400,
          'name',
        ),
        judge(
          `sharing runtime ${why}`,
          await send('POST', '/api/v1/integrations', { body: create({ sharing: { runtimes: [value] } }) }),
          400,
          'sharing',
        ),
        judge(
          `test runtime ${why}`,
          await send('POST', '/api/v1/integrations', { body: create({ testRuntime: value }) }),
          400,
          'testRuntime',
        ),
        judge(
          `report runtime ${why}`,
          await send('POST', '/api/v1/image-reports', { body: { image: 'nginx:1', runtime: value } }),
          400,
          'runtime',
        ),
      );
      if (value !== '') {
        // In the URL path: refused by the name rule (400) or by routing (404), never a file lookup.
        const enc = encodeURIComponent(value);
        failures.push(
          judge(`GET integration ${why}`, await send('GET', `/api/v1/integrations/${enc}`), [400, 404]),
          judge(`GET runtime ${why}`, await send('GET', `/api/v1/runtimes/${enc}`), [400, 404]),
          judge(
            `DELETE integration ${why}`,
            await send('DELETE', `/api/v1/integrations/${enc}`, { body: { confirm: 'DELETE' } }),
            [400, 404],
          ),
          judge(`test on runtime ${why}`, await send('POST', `${EXISTING}/test?runtime=${enc}`), 400),
        );
      }
    }
    expectNoFailures(failures);
  });

  it(`endpoint URLs (${urls.length}): ECR endpoints, GitHub apiUrl and Jira baseUrl answer 400 on the field`, async () => {
    const failures: Array<string | null> = [];
    const which = ['api', 'sts', 'registry'] as const;
    for (const [i, { value, why }] of urls.entries()) {
      const key = which[i % 3]!;
      failures.push(
        judge(
          `ecr endpoint ${key} ${why}`,
          await send('POST', '/api/v1/integrations', {
            body: create({ ecr: ecr({ endpoints: { [key]: value } }) }),
          }),
          400,
          `ecr.endpoints.${key}`,
        ),
        judge(
          `github apiUrl ${why}`,
          await send('POST', '/api/v1/integrations', {
            body: create({
              type: 'git.github',
              ecr: undefined,
              github: { apiUrl: value, token: 'corpus-token' },
            }),
          }),
          400,
          'github.apiUrl',
        ),
        judge(
          `jira baseUrl ${why}`,
          await send('POST', '/api/v1/integrations', {
            body: create({
              type: 'issue.jira',
              ecr: undefined,
              jira: { baseUrl: value, auth: { kind: 'server', pat: 'corpus-pat' } },
            }),
          }),
          400,
          'jira.baseUrl',
        ),
        judge(
          `edit endpoint ${why}`,
          await send('PATCH', EXISTING, { body: { ecr: { endpoints: { [key]: value } } } }),
          400,
          `ecr.endpoints.${key}`,
        ),
      );
    }
    expectNoFailures(failures);
  });
});

describe('request bodies', () => {
  it(`API bodies for every POST/PATCH/DELETE endpoint (${bodies.length}): the designed 4xx naming the field`, async () => {
    const failures: Array<string | null> = [];
    for (const c of bodies) {
      const text = bodyText(c);
      const r = await send(c.method, c.path, text === undefined ? {} : { text });
      failures.push(judge(`${c.method} ${c.path} ${c.why}`, r, c.status, c.field));
    }
    expectNoFailures(failures);
    // None of them got through: the stored integration is unchanged and no corpus resource exists.
    const list = await send('GET', '/api/v1/integrations');
    expect(list.json.items.map((i: { name: string }) => i.name)).toEqual(['corpus-existing']);
    const rts = await send('GET', '/api/v1/runtimes');
    expect(rts.json.items.map((i: { name: string }) => i.name)).toEqual(['local']);
  });

  it(`invalid JSON (${badJson.length} × ${POSTS.length + 1} endpoints): 400 saying the body is not JSON`, async () => {
    const failures: Array<string | null> = [];
    for (const { text, why } of badJson) {
      for (const [method, path] of [
        ...POSTS.map((p) => ['POST', p] as const),
        ['PATCH', EXISTING] as const,
      ]) {
        const r = await send(method, path, { text });
        const f = judge(`${method} ${path} ${why}`, r, 400);
        // A leading byte order mark is dropped by the UTF-8 decoder, so that body is read as JSON and refused
        // for its fields instead: still a 400 that says what is wrong.
        const mustSayJson = why !== 'byte order mark';
        failures.push(
          f ??
            (!mustSayJson || /JSON/.test(r.json.error.message)
              ? null
              : `${path} ${why}: message does not say JSON: ${r.text}`),
        );
      }
    }
    expectNoFailures(failures);
  });

  it('wrong content types with non-JSON bodies: 400 that asks for JSON', async () => {
    const cases: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', 'name=x&type=registry.ecr&sharing=all'],
      [
        'multipart/form-data; boundary=XyZ',
        '--XyZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--XyZ--\r\n',
      ],
      ['application/xml', '<integration><name>x</name></integration>'],
      ['text/plain', 'please create an integration'],
      ['application/yaml', 'name: x\ntype: registry.ecr\n'],
      ['application/octet-stream', '\u0000\u0001\u0002\u00ff'],
      ['application/json; charset=utf-16', '\u00ff\u00fe{\u0000}\u0000'],
    ];
    const failures: Array<string | null> = [];
    for (const [type, text] of cases) {
      for (const path of POSTS) {
        const r = await send('POST', path, { text, headers: { 'content-type': type } });
        const f = judge(`${type} to ${path}`, r, 400);
        failures.push(
          f ?? (/JSON/.test(r.json.error.message) ? null : `${type} ${path}: message does not ask for JSON`),
        );
      }
    }
    expectNoFailures(failures);
  });

  it('bodies over 256 KiB: 413 on every endpoint, with Content-Length or chunked', async () => {
    const big = JSON.stringify({ name: 'x', description: 'x'.repeat(300 * 1024) });
    const failures: Array<string | null> = [];
    for (const [method, path] of [
      ...POSTS.map((p) => ['POST', p] as const),
      ['PATCH', EXISTING] as const,
      ['DELETE', EXISTING] as const,
      ['POST', `${EXISTING}/test`] as const,
      ['POST', '/api/v1/config/sync'] as const,
    ]) {
      failures.push(
        judge(`${method} ${path} 300 KiB`, await send(method, path, { text: big }), 413),
        judge(
          `${method} ${path} 300 KiB chunked`,
          await send(method, path, { text: big, stream: true }),
          413,
        ),
      );
    }
    // 8 MiB: refused without the server buffering it (it still answers quickly afterwards).
    const huge = '{"a":"' + 'x'.repeat(8 * 1024 * 1024) + '"}';
    failures.push(
      judge('8 MiB body', await send('POST', '/api/v1/integrations', { text: huge, stream: true }), 413),
    );
    expectNoFailures(failures);
    expect((await send('GET', '/healthz')).status).toBe(200);
  });
});

describe('after the whole corpus', () => {
  it('the server still answers /healthz, never answered 5xx and logged no internal error', async () => {
    await expectServerSurvived();
    expect(seen.length).toBeGreaterThan(1000);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
  });
});
