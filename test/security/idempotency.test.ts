import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addUnreachableEcrIntegration,
  api,
  startImagetrail,
  type ServerHandle,
} from '../helpers/imagetrail.js';
import { bareRemote } from '../helpers/git.js';

// Issue 8, finding 5: Idempotency-Key was global, so a runtime token could read a CI report by reusing its
// key, or pre-claim keys so that real CI reports became no-ops. Keys are now scoped to the grant that
// accepted the report and its runtime; a reused key with other content is a 409.

let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;
const tokens: Record<'ci' | 'local' | 'edge', string> = { ci: '', local: '', edge: '' };

async function post(token: string, key: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/api/v1/image-reports`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, any> };
}

const report = (runtime: string, tag = '1') => ({
  // The integration's endpoints are port 9, where nothing listens: the reports are accepted (intake checks the
  // integration exists for the runtime and the host is ECR) and later fail; only intake matters here.
  image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:${tag}`,
  registryIntegration: 'none',
  runtime,
});

beforeAll(async () => {
  remote = await bareRemote();
  server = await startImagetrail({ configRepo: remote.url });
  const edge = await api(server, 'POST', '/api/v1/runtimes', {
    name: 'edge',
    type: 'hybrid',
    version: '0.2.0',
  });
  expect(edge.status, edge.text).toBe(201);
  await addUnreachableEcrIntegration(server, 'none');
  const mk = async (name: string, scopes: string[]) => {
    const r = await api(server, 'POST', '/api/v1/tokens', { name, scopes });
    expect(r.status, r.text).toBe(201);
    return r.json.token as string;
  };
  tokens.ci = await mk('ci', ['report']);
  tokens.local = await mk('rt-local', ['runtime:local']);
  tokens.edge = await mk('rt-edge', ['runtime:edge']);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await remote?.cleanup();
});

describe('Idempotency-Key is scoped to the token grant and the runtime', () => {
  it("a runtime token reusing a CI report's key gets its own report, never the CI one", async () => {
    const ci = await post(tokens.ci, 'build-100', report('edge'));
    expect(ci.status, ci.text).toBe(202);
    const edge = await post(tokens.edge, 'build-100', report('edge'));
    expect(edge.status, edge.text).toBe(202);
    expect(edge.json['id']).not.toBe(ci.json['id']);
    expect(edge.text).not.toContain(String(ci.json['id']));
    // And the CI token's retry still answers its own report.
    const retry = await post(tokens.ci, 'build-100', report('edge'));
    expect(retry.json['id']).toBe(ci.json['id']);
  });

  it('a runtime token cannot pre-claim keys so that CI reports become no-ops', async () => {
    const squat = await post(tokens.edge, 'build-200', report('edge'));
    expect(squat.status, squat.text).toBe(202);
    const ci = await post(tokens.ci, 'build-200', report('edge'));
    expect(ci.status, ci.text).toBe(202);
    expect(ci.json['id']).not.toBe(squat.json['id']);
    const got = await api(
      server,
      'GET',
      `/api/v1/image-reports/${String(ci.json['id'])}`,
      undefined,
      tokens.ci,
    );
    expect(got.json['image']).toBe(report('edge').image);
  });

  it('runtime:local and runtime:edge do not share keys either', async () => {
    const a = await post(tokens.local, 'build-300', report('local'));
    const b = await post(tokens.edge, 'build-300', report('edge'));
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.json['id']).not.toBe(b.json['id']);
  });

  it('a reused key with other content is a 409 that names the earlier report only to a reader', async () => {
    const first = await post(tokens.ci, 'build-400', report('local', '1'));
    expect(first.status, first.text).toBe(202);
    const reused = await post(tokens.ci, 'build-400', report('local', '2'));
    expect(reused.status, reused.text).toBe(409);
    expect(reused.text).toContain(String(first.json['id']));

    const mine = await post(tokens.edge, 'build-401', report('edge', '1'));
    expect(mine.status, mine.text).toBe(202);
    const reusedByRuntime = await post(tokens.edge, 'build-401', report('edge', '2'));
    expect(reusedByRuntime.status, reusedByRuntime.text).toBe(409);
    // A runtime token may not read reports (GET needs report or admin), so it is not told which one.
    expect(reusedByRuntime.text).not.toContain(String(mine.json['id']));
    expect(reusedByRuntime.text).toMatch(/Idempotency-Key was already used/);
  });
});
