import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote, personClone } from '../helpers/git.js';

// Issue 8, finding 5: credential-bearing endpoints accepted plain http:// to any host, metadata addresses
// included. No traffic leaves loopback here: every refused URL is refused before anything is sent.

let remote: Awaited<ReturnType<typeof bareRemote>>;
let server: ServerHandle;

const jira = (name: string, baseUrl: string) => ({
  name,
  type: 'issue.jira',
  sharing: { allRuntimes: true },
  skipTest: true,
  jira: { baseUrl, auth: { kind: 'cloud', email: 'bot@acme.test', apiToken: 'jira-endpoint-test-token' } },
});

beforeAll(async () => {
  remote = await bareRemote();
  // The allowlist names a metadata address on purpose: it must be refused regardless.
  server = await startImagetrail({
    configRepo: remote.url,
    args: ['--allow-endpoint', '169.254.169.254', '--allow-endpoint', 'jira.allowed.test:8080'],
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await remote?.cleanup();
});

describe('credential-bearing endpoints', () => {
  it('http:// to a non-loopback host is refused with a 400 naming the field and the fix', async () => {
    const r = await api(server, 'POST', '/api/v1/integrations', jira('plain', 'http://example.com/jira'));
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain('jira.baseUrl');
    expect(r.text).toContain('--allow-endpoint example.com');
    expect(r.text).not.toContain('jira-endpoint-test-token');
  });

  it('an allowlisted host may use http; loopback always may', async () => {
    const a = await api(
      server,
      'POST',
      '/api/v1/integrations',
      jira('allowed', 'http://jira.allowed.test:8080'),
    );
    expect(a.status, a.text).toBe(201);
    const b = await api(server, 'POST', '/api/v1/integrations', jira('loop', 'http://127.0.0.1:9/jira'));
    expect(b.status, b.text).toBe(201);
  });

  it('a metadata address is refused even when allowlisted, over http and https', async () => {
    for (const url of [
      'http://169.254.169.254/latest',
      'https://169.254.169.254',
      'http://[fd00:ec2::254]',
    ]) {
      const r = await api(server, 'POST', '/api/v1/integrations', jira('meta', url));
      expect(r.status, `${url}: ${r.text}`).toBe(400);
      expect(r.text).toMatch(/metadata/);
    }
  });

  it('GitHub apiUrl and ECR API/STS overrides follow the same rules, also in a draft test', async () => {
    const gh = await api(server, 'POST', '/api/v1/integrations/test', {
      type: 'git.github',
      github: { apiUrl: 'http://example.com/api/v3', token: 'ghp_endpointTest0123456789' },
    });
    expect(gh.status, gh.text).toBe(400);
    expect(gh.text).toContain('github.apiUrl');
    const ecr = await api(server, 'POST', '/api/v1/integrations', {
      name: 'ecr-evil',
      type: 'registry.ecr',
      sharing: { allRuntimes: true },
      skipTest: true,
      ecr: {
        region: 'us-east-1',
        auth: {
          mode: 'accessKey',
          accessKeyId: 'AKIAENDPOINTTEST0001',
          secretAccessKey: 'secret-endpoint-test',
        },
        endpoints: { sts: 'https://sts.evil.example' },
      },
    });
    expect(ecr.status, ecr.text).toBe(400);
    expect(ecr.text).toContain('ecr.endpoints.sts');
    expect(ecr.text).toMatch(/not an AWS endpoint/);
  });

  it('a hand-edited file pointing an integration at http:// elsewhere is reported by config status', async () => {
    const ok = await api(server, 'POST', '/api/v1/integrations', jira('edited', 'https://jira.example.com'));
    expect(ok.status, ok.text).toBe(201);
    const person = await personClone(remote.url);
    try {
      const file = 'resources/all-runtimes-all-clusters/edited.yaml';
      const text = await person.read(file);
      await person.write(file, text.replace('https://jira.example.com', 'http://example.com'));
      await person.commitAndPush('hand edit: jira over http');
    } finally {
      await person.cleanup();
    }
    const sync = await api(server, 'POST', '/api/v1/config/sync');
    expect(sync.status, sync.text).toBe(200);
    const mine = (sync.json.problems as Array<{ file: string; path: string; message: string }>).filter((p) =>
      p.file.endsWith('edited.yaml'),
    );
    expect(mine.map((p) => p.path)).toContain('spec.jira.baseUrl');
    expect(JSON.stringify(mine)).toMatch(/not https/);
  });
});
