import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import type { STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it, vi } from 'vitest';
import { noTelemetry } from '../../../domain/telemetry.js';
import { Redactor } from '../../../logging/redactor.js';
import { EcrClientCache, type ClientRequest } from './clients.js';
import { defaultSessionName, integrationCredentials } from './credentials.js';

const HOUR = 3_600_000;
const creds = { key: 'key:A', provider: () => Promise.resolve({ accessKeyId: 'A', secretAccessKey: 'S' }) };

/** A cache whose ECR/STS clients are fakes counting calls; everything else is the real code. */
class FakeCache extends EcrClientCache {
  tokenCalls = 0;
  expiresAt: Date | undefined;
  stsCalls: Record<string, unknown>[] = [];
  sessionExpiry: Date | undefined;
  /** While set, AssumeRole answers only when it resolves. */
  stsGate: Promise<void> | undefined;
  /** While set, AssumeRole fails as STS does when the role's trust policy denies it. */
  stsDenied = false;
  warnings: { obj: unknown; msg: string }[] = [];
  private readonly t: { now: number };
  constructor(redactor = new Redactor(), t = { now: Date.parse('2026-01-01T00:00:00Z') }) {
    super({
      redactor,
      now: () => t.now,
      logger: { warn: (obj: object, msg: string) => void this.warnings.push({ obj, msg }) },
    });
    this.t = t;
  }
  get clock(): number {
    return this.t.now;
  }
  set clock(v: number) {
    this.t.now = v;
  }
  override ecr(_req: ClientRequest): ECRClient {
    return {
      send: async () => {
        this.tokenCalls++;
        return {
          authorizationData: [
            {
              authorizationToken: Buffer.from(`AWS:password-${this.tokenCalls}`).toString('base64'),
              expiresAt: this.expiresAt,
              proxyEndpoint: 'https://999999999999.dkr.ecr.us-east-1.amazonaws.com',
            },
          ],
        };
      },
    } as unknown as ECRClient;
  }
  override sts(_req: ClientRequest): STSClient {
    return {
      send: async (cmd: { input: Record<string, unknown> }) => {
        this.stsCalls.push(cmd.input);
        const n = this.stsCalls.length;
        await this.stsGate;
        if (this.stsDenied) {
          throw Object.assign(new Error(`not authorized to perform sts:AssumeRole (session-secret-${n})`), {
            name: 'AccessDenied',
          });
        }
        return {
          Credentials: {
            AccessKeyId: 'ASIATEMP',
            SecretAccessKey: `session-secret-${n}`,
            SessionToken: `session-token-${n}`,
            Expiration: this.sessionExpiry,
          },
        };
      },
    } as unknown as STSClient;
  }
}

const tokenReq = (host = '111122223333.dkr.ecr.us-east-1.amazonaws.com') => ({
  credentials: creds,
  region: 'us-east-1',
  registryHost: host,
});

describe('EcrClientCache authorization tokens', () => {
  it('caches until the refresh margin before expiresAt, per registry host', async () => {
    const c = new FakeCache();
    c.expiresAt = new Date(c.clock + 12 * HOUR);
    const t1 = await c.authorizationToken(tokenReq());
    expect(await c.authorizationToken(tokenReq())).toBe(t1);
    expect(c.tokenCalls).toBe(1);
    await c.authorizationToken(tokenReq('444455556666.dkr.ecr.us-east-1.amazonaws.com'));
    expect(c.tokenCalls).toBe(2);
    c.clock += 12 * HOUR - 10 * 60_000; // inside the 15-min margin
    await c.authorizationToken(tokenReq());
    expect(c.tokenCalls).toBe(3);
  });

  it('a token already expired on receipt (moto: 2015-01-01) is kept for the fallback TTL only', async () => {
    const c = new FakeCache();
    c.expiresAt = new Date('2015-01-01T00:00:00Z');
    const t = await c.authorizationToken(tokenReq());
    expect(t.cachedUntil).toBe(c.clock + HOUR);
    await c.authorizationToken(tokenReq());
    expect(c.tokenCalls).toBe(1);
    c.clock += HOUR + 1;
    await c.authorizationToken(tokenReq());
    expect(c.tokenCalls).toBe(2);
  });

  it('coalesces concurrent fetches, honours refresh, registers the token and password', async () => {
    const redactor = new Redactor();
    const c = new FakeCache(redactor);
    c.expiresAt = new Date(c.clock + 12 * HOUR);
    const [a, b] = await Promise.all([c.authorizationToken(tokenReq()), c.authorizationToken(tokenReq())]);
    expect(a).toBe(b);
    expect(c.tokenCalls).toBe(1);
    await c.authorizationToken({ ...tokenReq(), refresh: true });
    expect(c.tokenCalls).toBe(2);
    expect(redactor.redact('x password-2 y')).toBe('x [REDACTED] y');
    // The registry host is ours, never the token's proxyEndpoint.
    c.forgetAuthorizationToken('key:A', '111122223333.dkr.ecr.us-east-1.amazonaws.com');
    await c.authorizationToken(tokenReq());
    expect(c.tokenCalls).toBe(3);
  });
});

describe('EcrClientCache clients', () => {
  it('one client per (credentials, region, endpoint, timeouts)', () => {
    const c = new EcrClientCache({ redactor: new Redactor() });
    try {
      const a = c.ecr({ credentials: creds, region: 'eu-west-1' });
      expect(c.ecr({ credentials: creds, region: 'eu-west-1' })).toBe(a);
      expect(c.ecr({ credentials: creds, region: 'eu-west-2' })).not.toBe(a);
      expect(c.ecr({ credentials: { ...creds, key: 'key:B' }, region: 'eu-west-1' })).not.toBe(a);
      expect(c.ecr({ credentials: creds, region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' })).not.toBe(a);
      expect(c.ecr({ credentials: creds, region: 'eu-west-1', requestTimeoutMs: 5 })).not.toBe(a);
    } finally {
      c.destroy();
    }
  });
});

describe('EcrClientCache clients: middleware resolved once per command type', () => {
  /** A local ECR endpoint: `answer` gets the JSON body of each call and says status, content type and body. */
  async function ecrEndpoint(
    answer: (input: Record<string, unknown>) => Promise<{ status: number; type: string; body: string }>,
  ) {
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        void answer(JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>).then(
          (a) => {
            res.writeHead(a.status, { 'content-type': a.type });
            res.end(a.body);
          },
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }
  const json = (body: unknown) => ({
    status: 200,
    type: 'application/x-amz-json-1.1',
    body: JSON.stringify(body),
  });

  it("resolves the stack once, and imagetrail's middleware (metrics, XML errors) still runs on every send", async () => {
    // Like moto: a JSON success first, then an IAM denial as XML, which only our middleware reads.
    let calls = 0;
    const endpoint = await ecrEndpoint(() =>
      Promise.resolve(
        calls++ === 0
          ? json({ imageDetails: [] })
          : {
              status: 403,
              type: 'application/xml',
              body: '<ErrorResponse><Error><Code>AccessDenied</Code><Message>not &lt;allowed&gt;</Message></Error></ErrorResponse>',
            },
      ),
    );
    const outcomes: string[] = [];
    const telemetry = {
      ...noTelemetry,
      remoteCall: (_s: string, op: string, outcome: string) => void outcomes.push(`${op} ${outcome}`),
    };
    const c = new EcrClientCache({ redactor: new Redactor(), telemetry, maxAttempts: 1 });
    const resolved = vi.spyOn(DescribeImagesCommand.prototype, 'resolveMiddleware');
    try {
      const ecr = c.ecr({ credentials: creds, region: 'eu-west-1', endpoint: endpoint.url });
      expect(c.sts({ credentials: creds, region: 'eu-west-1' }).config.cacheMiddleware).toBe(true);
      const ask = () => ecr.send(new DescribeImagesCommand({ repositoryName: 'app' }));
      await ask();
      const err = await ask().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(resolved).toHaveBeenCalledTimes(1);
      expect(err).toMatchObject({
        name: 'AccessDenied',
        message: 'not <allowed>',
        $metadata: { httpStatusCode: 403 },
      });
      expect(outcomes).toEqual(['DescribeImagesCommand ok', 'DescribeImagesCommand AccessDenied']);
    } finally {
      resolved.mockRestore();
      c.destroy();
      endpoint.close();
    }
  });

  it('concurrent sends through the one resolved stack each get the answer to their own input', async () => {
    // Answered in reverse order of arrival, so a response matched to the wrong call would show.
    const endpoint = await ecrEndpoint(async (input) => {
      const n = Number(String(input['repositoryName']).slice(4));
      await new Promise((r) => setTimeout(r, (8 - n) * 5));
      return json({ imageDetails: [{ repositoryName: input['repositoryName'], imageTags: [String(n)] }] });
    });
    const c = new EcrClientCache({ redactor: new Redactor() });
    try {
      const ecr = c.ecr({ credentials: creds, region: 'eu-west-1', endpoint: endpoint.url });
      await ecr.send(new DescribeImagesCommand({ repositoryName: 'app-0' })); // the stack is resolved here
      const names = Array.from({ length: 8 }, (_, n) => `app-${n}`);
      const out = await Promise.all(
        names.map((repositoryName) => ecr.send(new DescribeImagesCommand({ repositoryName }))),
      );
      expect(out.map((o) => o.imageDetails?.[0]?.repositoryName)).toEqual(names);
      expect(out.map((o) => o.imageDetails?.[0]?.imageTags?.[0])).toEqual(names.map((x) => x.slice(4)));
    } finally {
      c.destroy();
      endpoint.close();
    }
  });
});

describe('integrationCredentials (role chaining)', () => {
  const ambient = () =>
    Promise.resolve({ accessKeyId: 'AKIAAMBIENT', secretAccessKey: 'ambient-secret-value' });
  const role = { mode: 'iamRole' as const, roleArn: 'arn:aws:iam::111122223333:role/r', externalId: 'ext-1' };

  it('assumes the role with session name, external ID and duration capped at 3600 s; caches the session', async () => {
    const redactor = new Redactor();
    const c = new FakeCache(redactor);
    c.sessionExpiry = new Date(c.clock + HOUR);
    const deps = { runtime: { name: 'local', ambient }, clients: c, redactor, region: 'us-east-1' };
    const cr = integrationCredentials({ ...role, durationSeconds: 43200 }, deps);
    const s1 = await cr.provider();
    expect(c.stsCalls).toEqual([
      {
        RoleArn: role.roleArn,
        RoleSessionName: 'imagetrail-local',
        DurationSeconds: 3600,
        ExternalId: 'ext-1',
      },
    ]);
    expect(await cr.provider()).toBe(s1);
    // Same settings from another caller share the session.
    expect(await integrationCredentials({ ...role, durationSeconds: 43200 }, deps).provider()).toBe(s1);
    expect(c.stsCalls).toHaveLength(1);
    expect(redactor.redact('session-secret-1 session-token-1')).toBe('[REDACTED] [REDACTED]');
    c.clock += HOUR - 4 * 60_000; // within 5 min of expiry
    await cr.provider();
    expect(c.stsCalls).toHaveLength(2);
    await cr.provider({ forceRefresh: true });
    expect(c.stsCalls).toHaveLength(3);
  });

  // A report that finds its session in the refresh window must not wait one more round trip (AssumeRole)
  // before its first ECR call while the session it holds is still good for minutes.
  it('renews a session in its refresh window in the background, and waits only when it is about to expire', async () => {
    const redactor = new Redactor();
    const c = new FakeCache(redactor);
    c.sessionExpiry = new Date(c.clock + HOUR);
    const cr = integrationCredentials(role, {
      runtime: { name: 'local', ambient },
      clients: c,
      redactor,
      region: 'us-east-1',
    });
    const s1 = await cr.provider();
    let open!: () => void;
    c.stsGate = new Promise((resolve) => (open = resolve));
    // What the provider gives before the event loop turns: it did not wait for the held AssumeRole.
    const now = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<'waiting'>((r) => setImmediate(() => r('waiting')))]);
    c.sessionExpiry = new Date(c.clock + 2 * HOUR);
    c.clock += HOUR - 4 * 60_000;
    expect(await now(cr.provider())).toBe(s1);
    expect(await now(cr.provider())).toBe(s1);
    expect(c.stsCalls).toHaveLength(2);
    open();
    await vi.waitFor(async () => expect((await cr.provider()).secretAccessKey).toBe('session-secret-2'));
    c.stsGate = new Promise((resolve) => (open = resolve));
    c.clock = c.sessionExpiry.getTime() - 30_000; // 30 s left of the second session: too close to sign with
    const next = cr.provider();
    expect(await now(next)).toBe('waiting');
    open();
    expect((await next).secretAccessKey).toBe('session-secret-3');
  });

  // An outage or AccessDenied during the refresh window must not turn every report into one more AssumeRole
  // (STS quota): after a failed background renewal the held session is used without asking for a while.
  it('after a failed background renewal, skips background renewals for a while and logs once; the foreground still asks', async () => {
    const redactor = new Redactor();
    const c = new FakeCache(redactor);
    c.sessionExpiry = new Date(c.clock + HOUR);
    const cr = integrationCredentials(role, {
      runtime: { name: 'local', ambient },
      clients: c,
      redactor,
      region: 'us-east-1',
    });
    const s1 = await cr.provider();
    c.stsDenied = true;
    c.clock += HOUR - 4 * 60_000; // in the refresh window
    const settle = () => new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) {
      expect(await cr.provider()).toBe(s1);
      await settle();
    }
    expect(c.stsCalls).toHaveLength(2);
    expect(c.warnings).toHaveLength(1);
    expect(JSON.stringify(c.warnings)).not.toContain('ambient-secret-value');
    c.clock += 30_001; // the pause is over: one more try, still failing, not logged again
    expect(await cr.provider()).toBe(s1);
    await settle();
    expect(await cr.provider()).toBe(s1);
    await settle();
    expect(c.stsCalls).toHaveLength(3);
    expect(c.warnings).toHaveLength(1);
    c.clock = HOUR + Date.parse('2026-01-01T00:00:00Z') - 30_000; // too close to expiry: every caller asks
    await expect(cr.provider()).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(cr.provider()).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(c.stsCalls).toHaveLength(5);
  });

  it('a hosted runtime (ambient null) fails with NoAmbientCredentialsError and never calls STS', async () => {
    const c = new FakeCache();
    const cr = integrationCredentials(role, {
      runtime: { name: 'shared', ambient: null },
      clients: c,
      redactor: new Redactor(),
      region: 'us-east-1',
    });
    await expect(cr.provider()).rejects.toMatchObject({ name: 'NoAmbientCredentialsError' });
    expect(c.stsCalls).toHaveLength(0);
  });

  it('access-key mode registers the secret and keys clients by key ID + secret fingerprint', async () => {
    const redactor = new Redactor();
    const deps = {
      runtime: { name: 'local', ambient: null },
      clients: new FakeCache(redactor),
      redactor,
      region: 'us-east-1',
    };
    const a = integrationCredentials(
      { mode: 'accessKey', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-one-123' },
      deps,
    );
    const b = integrationCredentials(
      { mode: 'accessKey', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-two-456' },
      deps,
    );
    expect(a.key).not.toBe(b.key);
    expect(a.key).not.toContain('secret-one-123');
    expect(redactor.redact('secret-one-123')).toBe('[REDACTED]');
  });

  it('default session name fits RoleSessionName (≤ 64)', () => {
    expect(defaultSessionName('local')).toBe('imagetrail-local');
    expect(defaultSessionName('a'.repeat(63))).toHaveLength(64);
  });
});
