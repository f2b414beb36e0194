import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote, personClone } from '../helpers/git.js';

// The bad-input corpus (test/corpus/*.json, made by test/corpus/generate.mjs) thrown at a real server:
// every malformed input must get a clear 4xx that names what to fix (or, for hand-edited YAML, a reported
// configuration problem with file and field path), never a 5xx, never a crash; the CLI exits 2.

const CORPUS = join(import.meta.dirname, '..', 'corpus');
const load = <T>(name: string): T => JSON.parse(readFileSync(join(CORPUS, name), 'utf8')) as T;

interface Str {
  value: string;
  why: string;
}
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
interface YamlCase {
  file: string;
  text?: string;
  gen?: { kind: 'huge' | 'deep' | 'longline' | 'binary'; bytes?: number; depth?: number };
  why: string;
  path: string;
}

const refs = load<Str[]>('image-references.json');
const arns = load<Str[]>('role-arns.json');
const regions = load<Str[]>('regions.json');
const names = load<Str[]>('names.json');
const urls = load<Str[]>('endpoint-urls.json');
const badJson = load<Array<{ text: string; why: string }>>('invalid-json.json');
const bodies = load<BodyCase[]>('api-bodies.json');
const yamls = load<YamlCase[]>('yaml-resources.json');

const LOOP = 'http://127.0.0.1:9';
const ROLE = 'arn:aws:iam::123456789012:role/corpus';
const ecr = (over: Record<string, unknown> = {}) => ({
  region: 'us-east-1',
  auth: { mode: 'iamRole', roleArn: ROLE },
  endpoints: { api: LOOP, sts: LOOP, registry: LOOP },
  ...over,
});
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

let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
/** Every status the corpus got, for the final "no 5xx at all" check. */
const seen: Array<{ what: string; status: number }> = [];

interface Res {
  status: number;
  json: any;
  text: string;
  headers: Headers;
}

async function send(
  method: string,
  path: string,
  opts: { body?: unknown; text?: string; headers?: Record<string, string>; stream?: boolean } = {},
): Promise<Res> {
  const headers: Record<string, string> = { authorization: `Bearer ${server.adminToken}`, ...opts.headers };
  let body: string | ReadableStream<Uint8Array> | undefined =
    opts.text ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  if (opts.stream && typeof body === 'string') {
    // Chunked, without Content-Length: the limit must hold while reading, not only by the header.
    const bytes = new TextEncoder().encode(body);
    body = new ReadableStream({
      start(c) {
        for (let i = 0; i < bytes.length; i += 16 * 1024) c.enqueue(bytes.slice(i, i + 16 * 1024));
        c.close();
      },
    });
  }
  const res = await fetch(server.url + path, {
    method,
    headers,
    ...(body !== undefined ? { body, duplex: 'half' } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

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

beforeAll(async () => {
  remote = await bareRemote();
  server = await startImagetrail({ configRepo: remote.url });
  // A stored integration for the edit / delete / report cases (never tested: it points at a closed port).
  const r = await send('POST', '/api/v1/integrations', {
    body: {
      name: 'corpus-existing',
      type: 'registry.ecr',
      sharing: { runtimes: ['local'] },
      skipTest: true,
      ecr: ecr({
        auth: { mode: 'accessKey', accessKeyId: 'AKIACORPUSCORPUS0000', secretAccessKey: 'corpus-secret' },
      }),
    },
  });
  expect(r.status, r.text).toBe(201);
});

afterAll(async () => {
  await server?.stop();
  await remote?.cleanup();
});

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

describe('hand-edited YAML in the configuration repository', () => {
  it(`${yamls.length} bad resources pushed to the remote are each reported with file and path; nothing breaks`, async () => {
    const person = await personClone(remote.url);
    try {
      for (const c of yamls) {
        let text = c.text ?? '';
        if (c.gen?.kind === 'huge')
          text =
            'apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\n# ' + 'x'.repeat(c.gen.bytes!) + '\n';
        if (c.gen?.kind === 'deep')
          text = 'spec: ' + '['.repeat(c.gen.depth!) + ']'.repeat(c.gen.depth!) + '\n';
        if (c.gen?.kind === 'longline') {
          const name = c.file
            .split('/')
            .pop()!
            .replace(/\.yaml$/, '');
          text = `apiVersion: imagetrail.dev/v1alpha1\nkind: Integration\nmetadata: {name: ${name}}\nspec: {type: git.github, description: "${'d'.repeat(c.gen.bytes!)}", github: {token: x}}\n`;
        }
        if (c.gen?.kind === 'binary') {
          let seed = 7;
          text = Array.from({ length: c.gen.bytes! }, () =>
            String.fromCharCode((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256),
          ).join('');
        }
        await person.write(c.file, text);
      }
      await person.commitAndPush('hand edits: the bad-input corpus');
      const sync = await send('POST', '/api/v1/config/sync');
      expect(sync.status, sync.text).toBe(200);
      const problems: Array<{ file: string; path: string; message: string; severity: string }> =
        sync.json.problems;
      const failures: string[] = [];
      for (const c of yamls) {
        const mine = problems.filter((p) => p.file === c.file);
        if (mine.length === 0) failures.push(`${c.file} (${c.why}): not reported`);
        else if (!mine.some((p) => p.path.startsWith(c.path)))
          failures.push(`${c.file} (${c.why}): no problem at ${c.path || '(file)'}: ${JSON.stringify(mine)}`);
        else if (mine.some((p) => p.message.length < 10 || /^cannot validate/.test(p.message)))
          failures.push(`${c.file} (${c.why}): unclear message: ${JSON.stringify(mine)}`);
      }
      expect(failures, failures.join('\n')).toEqual([]);
      // A clear-text secret is reported, but never echoed back.
      expect(JSON.stringify(problems)).not.toMatch(/CorpusClear|hunter2/);
      // The last valid state keeps serving; none of the bad resources was applied. (y-orphan is a valid
      // resource for a runtime that does not exist yet: listed by design, with a warning.)
      const list = await send('GET', '/api/v1/integrations');
      expect(list.status).toBe(200);
      expect(list.json.items.map((i: { name: string }) => i.name)).toEqual(['corpus-existing', 'y-orphan']);
      const rts = await send('GET', '/api/v1/runtimes');
      expect(rts.json.items.map((i: { name: string }) => i.name)).toEqual(['local']);
      // The CLI reports them too (exit 1: the configuration has problems), each with its file.
      const status = await cli(server, ['config', 'status', '--json']);
      expect(status.code, status.stderr).toBe(1);
      const cliProblems = JSON.parse(status.stdout).problems as Array<{ file: string }>;
      for (const c of yamls) expect(cliProblems.map((p) => p.file)).toContain(c.file);
    } finally {
      await person.cleanup();
    }
  });
});

describe('the CLI', () => {
  it('a representative subset exits 2 with a message saying what to fix', async () => {
    const pick = <T extends Str>(list: T[], n: number) =>
      list
        .filter((v) => !v.value.includes('\u0000') && v.value !== '')
        .filter((_, i, a) => i % Math.ceil(a.length / n) === 0);
    const cases: Array<{ args: string[]; stdin?: string; expect: RegExp }> = [];
    for (const { value } of pick(refs, 8)) {
      cases.push({
        args: [
          'report-image',
          '--image',
          value,
          '--registry-integration',
          'corpus-existing',
          '--no-local-git',
        ],
        expect: /image reference|image/i,
      });
    }
    for (const { value } of pick(regions, 3)) {
      cases.push({
        args: [
          'integration',
          'add',
          'ecr',
          'cli-x',
          '--region',
          value,
          '--role-arn',
          ROLE,
          '--runtime',
          'local',
        ],
        expect: /region/i,
      });
    }
    for (const { value } of pick(arns, 3)) {
      cases.push({
        args: [
          'integration',
          'add',
          'ecr',
          'cli-x',
          '--region',
          'us-east-1',
          '--role-arn',
          value,
          '--runtime',
          'local',
        ],
        expect: /role/i,
      });
    }
    for (const { value } of pick(names, 3)) {
      // A name starting with "-" is taken for an option by the parser: also exit 2, saying so.
      cases.push({
        args: [
          'integration',
          'add',
          'ecr',
          value,
          '--region',
          'us-east-1',
          '--role-arn',
          ROLE,
          '--runtime',
          'local',
        ],
        expect: /name|lowercase|unknown option/i,
      });
      cases.push({
        args: ['runtime', 'add', value, '--type', 'hybrid', '--version', '0.2.0'],
        expect: /name|lowercase|unknown option/i,
      });
    }
    for (const { value } of pick(urls, 3)) {
      cases.push({
        args: [
          'integration',
          'add',
          'github',
          'cli-gh',
          '--api-url',
          value,
          '--token-stdin',
          '--all-runtimes',
        ],
        stdin: 'corpus-token',
        expect: /api-?url|URL/i,
      });
    }
    cases.push({ args: ['token', 'create', 'x', '--scope', 'root'], expect: /scope/i });
    cases.push({
      args: ['integration', 'delete', 'corpus-existing', '--confirm', 'delete'],
      expect: /DELETE/,
    });
    cases.push({
      args: ['runtime', 'add', 'rt', '--type', 'spaceship', '--version', '0.2.0'],
      expect: /type|hybrid/i,
    });
    const failures: string[] = [];
    for (const c of cases) {
      const r = await cli(server, c.args, c.stdin === undefined ? {} : { stdin: c.stdin });
      if (r.code !== 2 || !c.expect.test(r.stderr) || /at .*\.js:\d+/.test(r.stderr)) {
        failures.push(`${JSON.stringify(c.args)} → exit ${r.code}: ${r.stderr.slice(0, 300)}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });
});

describe('after the whole corpus', () => {
  it('the server still answers /healthz, never answered 5xx and logged no internal error', async () => {
    expect(server.proc.exitCode).toBeNull();
    const h = await send('GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.json.status).toBe('ok');
    expect(seen.length).toBeGreaterThan(1000);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
    expect(server.logs()).not.toMatch(/"status":5\d\d/);
    expect(server.logs()).not.toMatch(/InternalError|Maximum call stack|FATAL|Unhandled/i);
  });
});
