import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EcrClientCache,
  testEcrConnection,
  type EcrCheck,
  type EcrProbeContext,
  type EcrTestResult,
} from '../src/integrations/registry/ecr/index.js';
import { Redactor } from '../src/logging/redactor.js';
import { freePort } from './peers/free-port.js';
import { createEcrIamScenario, startMoto, type EcrIamScenario, type MotoPeer } from './peers/moto.js';
import { startRegistry, type RegistryPeer } from './peers/registry.js';

// Against moto with IAM enforcement ON, plus distribution as the registry data plane. Where moto differs
// from AWS (test-peers.md), the assertions are on the class and the named action, not on moto's shapes:
// - ECR denials are XML 403 `AccessDenied` in moto, JSON 400 `AccessDeniedException` on AWS;
// - moto's AssumeRole also needs an identity policy allowing sts:AssumeRole (the scenario grants it);
// - moto's ECR token expiresAt is 2015-01-01 and its proxyEndpoint names the real AWS host, hence the
//   registry endpoint override;
// - moto's assumed sessions never expire.

const REGION = 'us-east-1';

let moto: MotoPeer;
let registry: RegistryPeer;
let s: EcrIamScenario;

beforeAll(async () => {
  [moto, registry] = await Promise.all([startMoto(), startRegistry()]);
  s = await createEcrIamScenario(moto);
  await moto.enableIamAuth();
});

afterAll(async () => {
  await Promise.all([moto?.stop(), registry?.stop()]);
});

const staticProvider =
  (k: { accessKeyId: string; secretAccessKey: string }): AwsCredentialIdentityProvider =>
  () =>
    Promise.resolve({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });

function endpoints(over: { api?: string; sts?: string; registry?: string } = {}) {
  return { api: moto.endpoint, sts: moto.endpoint, registry: registry.url, ...over };
}

async function probe(
  input: unknown,
  opts: {
    type?: 'hybrid' | 'hosted';
    ambient?: AwsCredentialIdentityProvider | null;
    requestTimeoutMs?: number;
    maxAttempts?: number;
    onCheck?: (c: EcrCheck) => void;
  } = {},
): Promise<{ result: EcrTestResult; redactor: Redactor }> {
  const redactor = new Redactor();
  const clients = new EcrClientCache({ redactor, maxAttempts: opts.maxAttempts ?? 2 });
  const ctx: EcrProbeContext = {
    runtime: {
      name: 'local',
      type: opts.type ?? 'hybrid',
      ambient: opts.ambient === undefined ? null : opts.ambient,
    },
    clients,
    redactor,
    ...(opts.requestTimeoutMs ? { requestTimeoutMs: opts.requestTimeoutMs } : {}),
    ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
  };
  try {
    const result = await testEcrConnection(input, ctx, opts.onCheck ? { onCheck: opts.onCheck } : {});
    return { result, redactor };
  } finally {
    clients.destroy();
  }
}

const byName = (r: EcrTestResult, name: string): EcrCheck => {
  const c = r.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name} in ${JSON.stringify(r.checks.map((x) => x.name))}`);
  return c;
};

describe('testEcrConnection against moto (IAM enforced) + distribution', () => {
  it('read-only user: every check passes and the identity is reported', async () => {
    const seen: string[] = [];
    const { result } = await probe(
      { region: REGION, auth: { mode: 'accessKey', ...s.users.ro }, endpoints: endpoints() },
      { onCheck: (c) => seen.push(c.name) },
    );
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.identity).toEqual({ arn: s.users.ro.arn, account: s.account, userId: expect.any(String) });
    expect(result.checks.map((c) => c.name)).toEqual([
      'region',
      'identity',
      'ecr:GetAuthorizationToken',
      'ecr:DescribeRepositories',
      'ecr:DescribeImages',
      'ecr:BatchGetImage',
      'ecr:DescribeImageScanFindings',
      'registry',
    ]);
    expect([...seen].sort()).toEqual(result.checks.map((c) => c.name).sort());
    // The region check does not apply with an API endpoint override.
    expect(byName(result, 'region')).toMatchObject({ ok: true, skipped: true });
    expect(JSON.stringify(result)).not.toContain(s.users.ro.secretAccessKey);
  });

  it('user without ECR rights: names each denied action and the managed policy granting it', async () => {
    const { result } = await probe({
      region: REGION,
      auth: { mode: 'accessKey', ...s.users.noecr },
      endpoints: endpoints(),
    });
    expect(result.ok).toBe(false);
    expect(byName(result, 'identity').ok).toBe(true); // GetCallerIdentity needs no permission
    const tok = byName(result, 'ecr:GetAuthorizationToken');
    expect(tok).toMatchObject({
      ok: false,
      errorClass: 'permission-missing',
      action: 'ecr:GetAuthorizationToken',
    });
    expect(tok.message).toContain('ecr:GetAuthorizationToken');
    expect(tok.message).toContain('AmazonEC2ContainerRegistryReadOnly');
    expect(tok.message).toContain(s.users.noecr.arn);
    expect(tok.hints?.join('\n')).toContain('AmazonEC2ContainerRegistryReadOnly');
    for (const action of [
      'ecr:DescribeRepositories',
      'ecr:DescribeImages',
      'ecr:BatchGetImage',
      'ecr:DescribeImageScanFindings',
    ]) {
      const c = byName(result, action);
      expect(c).toMatchObject({ ok: false, errorClass: 'permission-missing', action });
      expect(c.message).toContain(action);
    }
    expect(byName(result, 'registry')).toMatchObject({ ok: false, skipped: true });
  });

  it('wrong secret → wrong-secret, later checks skipped, secret never shown', async () => {
    const secret = 'WrongSecretWrongSecretWrongSecretWrong00';
    const { result } = await probe({
      region: REGION,
      auth: { mode: 'accessKey', accessKeyId: s.users.ro.accessKeyId, secretAccessKey: secret },
      endpoints: endpoints(),
    });
    expect(result.ok).toBe(false);
    expect(byName(result, 'identity')).toMatchObject({ ok: false, errorClass: 'wrong-secret' });
    expect(byName(result, 'ecr:GetAuthorizationToken')).toMatchObject({ ok: false, skipped: true });
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('unknown access key → unknown-access-key', async () => {
    const { result } = await probe({
      region: REGION,
      auth: { mode: 'accessKey', accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) },
      endpoints: endpoints(),
    });
    expect(byName(result, 'identity')).toMatchObject({ ok: false, errorClass: 'unknown-access-key' });
    expect(byName(result, 'identity').message).toContain('AKIAUNKNOWNUNKNOWN00');
  });

  describe('IAM-role mode (ambient = user chain)', () => {
    const ambient = (): AwsCredentialIdentityProvider => staticProvider(s.users.chain);

    it('trusted role with the right external ID → ok, identity is the role session', async () => {
      const { result } = await probe(
        {
          region: REGION,
          auth: { mode: 'iamRole', roleArn: s.roles.enrich.arn, externalId: s.roles.enrich.externalId },
          endpoints: endpoints(),
        },
        { ambient: ambient() },
      );
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.ok).toBe(true);
      expect(byName(result, 'ambient-identity').message).toContain(s.users.chain.arn);
      expect(result.identity?.arn).toBe(`arn:aws:sts::${s.account}:assumed-role/enrich/imagetrail-local`);
    });

    it('role trusting the caller without a condition → ok without an external ID', async () => {
      const { result } = await probe(
        {
          region: REGION,
          auth: { mode: 'iamRole', roleArn: s.roles.enrichOpen.arn, sessionName: 'probe-s1' },
          endpoints: endpoints(),
        },
        { ambient: ambient() },
      );
      expect(result.ok).toBe(true);
      expect(result.identity?.arn).toBe(`arn:aws:sts::${s.account}:assumed-role/enrich-open/probe-s1`);
    });

    it('wrong external ID → external-id, with the conditioned statement', async () => {
      const { result } = await probe(
        {
          region: REGION,
          auth: { mode: 'iamRole', roleArn: s.roles.enrich.arn, externalId: 'not-the-right-one' },
          endpoints: endpoints(),
        },
        { ambient: ambient() },
      );
      const c = byName(result, 'assume-role');
      expect(c).toMatchObject({ ok: false, errorClass: 'external-id', action: 'sts:AssumeRole' });
      expect(c.message).toContain(s.roles.enrich.arn);
      expect(c.hints?.join('\n')).toContain(
        `"Condition":{"StringEquals":{"sts:ExternalId":"not-the-right-one"}}`,
      );
      expect(byName(result, 'identity')).toMatchObject({ ok: false, skipped: true });
    });

    it('untrusted caller → trust-policy, hint prints the statement naming the caller', async () => {
      const { result } = await probe(
        {
          region: REGION,
          auth: { mode: 'iamRole', roleArn: s.roles.enrichOpen.arn },
          endpoints: endpoints(),
        },
        { ambient: staticProvider(s.users.stranger) },
      );
      const c = byName(result, 'assume-role');
      expect(c).toMatchObject({ ok: false, errorClass: 'trust-policy' });
      expect(c.message).toContain(s.users.stranger.arn);
      expect(c.message).toContain(s.roles.enrichOpen.arn);
      expect(c.hints?.join('\n')).toContain(
        `{"Effect":"Allow","Principal":{"AWS":"${s.users.stranger.arn}"},"Action":"sts:AssumeRole"}`,
      );
    });

    it('hosted runtime (no ambient identity) → no-ambient-credentials', async () => {
      const { result } = await probe(
        { region: REGION, auth: { mode: 'iamRole', roleArn: s.roles.enrich.arn }, endpoints: endpoints() },
        { type: 'hosted', ambient: null },
      );
      expect(result.ok).toBe(false);
      expect(byName(result, 'ambient-identity')).toMatchObject({
        ok: false,
        errorClass: 'no-ambient-credentials',
      });
      expect(byName(result, 'assume-role')).toMatchObject({ ok: false, skipped: true });
      expect(result.checks.at(-1)).toMatchObject({ name: 'registry', skipped: true });
    });
  });

  describe('network failures', () => {
    let tcp: TcpServer | undefined;
    let http: HttpServer | undefined;
    const sockets = new Set<Socket>();
    afterAll(async () => {
      for (const so of sockets) so.destroy();
      await Promise.all([
        new Promise<void>((r) => (tcp ? tcp.close(() => r()) : r())),
        new Promise<void>((r) => (http ? http.close(() => r()) : r())),
      ]);
    });

    it('API endpoint on a closed port → endpoint-unreachable', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const { result } = await probe(
        { region: REGION, auth: { mode: 'accessKey', ...s.users.ro }, endpoints: endpoints({ api: closed }) },
        { maxAttempts: 1 },
      );
      expect(byName(result, 'identity').ok).toBe(true);
      const c = byName(result, 'ecr:GetAuthorizationToken');
      expect(c).toMatchObject({ ok: false, errorClass: 'endpoint-unreachable' });
      expect(c.message).toContain(closed);
      expect(byName(result, 'ecr:DescribeImages')).toMatchObject({ ok: false, skipped: true });
    });

    it('API endpoint that accepts and never answers → timeout', async () => {
      tcp = createTcpServer((so) => {
        sockets.add(so); // hold it open, say nothing
      });
      await new Promise<void>((r) => tcp?.listen(0, '127.0.0.1', () => r()));
      const addr = tcp.address();
      if (!addr || typeof addr === 'string') throw new Error('no port');
      const started = Date.now();
      const { result } = await probe(
        {
          region: REGION,
          auth: { mode: 'accessKey', ...s.users.ro },
          endpoints: endpoints({ api: `http://127.0.0.1:${addr.port}` }),
        },
        { requestTimeoutMs: 500, maxAttempts: 1 },
      );
      expect(byName(result, 'ecr:GetAuthorizationToken')).toMatchObject({ ok: false, errorClass: 'timeout' });
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('API answering ThrottlingException → throttled', async () => {
      http = createHttpServer((req, res) => {
        req.resume();
        res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
      });
      await new Promise<void>((r) => http?.listen(0, '127.0.0.1', () => r()));
      const addr = http.address();
      if (!addr || typeof addr === 'string') throw new Error('no port');
      const { result } = await probe(
        {
          region: REGION,
          auth: { mode: 'accessKey', ...s.users.ro },
          endpoints: endpoints({ api: `http://127.0.0.1:${addr.port}` }),
        },
        { maxAttempts: 1 },
      );
      const c = byName(result, 'ecr:GetAuthorizationToken');
      expect(c).toMatchObject({ ok: false, errorClass: 'throttled' });
      expect(c.message).toContain('Rate exceeded');
      expect(byName(result, 'ecr:DescribeImages')).toMatchObject({ ok: false, errorClass: 'throttled' });
    });
  });
});
