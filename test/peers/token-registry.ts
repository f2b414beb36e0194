import { execFile } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { spawnPeer, waitFor, type PeerProcess } from './process.js';

const run = promisify(execFile);

// CNCF distribution with `auth: token`, and the token server it sends clients to. The registry is the real
// peer; the token server is a small stand-in written from the distribution token spec:
// - https://distribution.github.io/distribution/spec/auth/token/ — the challenge
//   (`WWW-Authenticate: Bearer realm=…,service=…,scope=…`), the token request (`GET realm?service=&scope=`,
//   credentials as Basic), the answer (`token`, `access_token`, `expires_in`, `issued_at`);
// - https://distribution.github.io/distribution/spec/auth/jwt/ — the token: a JWS (RS256) whose header
//   carries the signing certificate (`x5c`, chained to the registry's `rootcertbundle`) and whose claims
//   are `iss`, `sub`, `aud` (= service), `exp`, `nbf`, `iat`, `jti` and `access: [{type, name, actions}]`.
// It grants what is asked to the one user it knows, and nothing to anyone else (an anonymous token).

export interface Access {
  type: 'repository';
  name: string;
  actions: string[];
}

export interface TokenRequest {
  authorization: string | undefined;
  service: string | null;
  scope: string | null;
}

export interface TokenRegistryPeer {
  /** http://127.0.0.1:PORT of the registry. */
  readonly url: string;
  /** The token realm (another origin: its own port). */
  readonly realm: string;
  readonly service: string;
  readonly username: string;
  readonly password: string;
  /** Every request the token server received, in order. */
  readonly tokenRequests: TokenRequest[];
  /** A token granting `access`, as the token server would issue it (for pushing test images). */
  mint(access: Access[]): string;
  stop(): Promise<void>;
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

export async function startTokenRegistry(opts: { timeoutMs?: number } = {}): Promise<TokenRegistryPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'imagetrail-token-registry-'));
  const username = 'ci-user';
  const password = `pw-${randomUUID()}`;
  const service = 'imagetrail-test-registry';
  const issuer = 'imagetrail-test-token-issuer';
  let server: Server | undefined;
  let proc: PeerProcess | undefined;
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', `/CN=${issuer}`, '-keyout', keyPath, '-out', certPath,
    ]); // prettier-ignore
    const key = createPrivateKey(await readFile(keyPath));
    const certDer = (await readFile(certPath, 'utf8')).replace(/-----[^-]+-----|\s/g, '');
    const mint = (access: Access[], subject = username): string => {
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [certDer] }));
      const claims = b64url(
        JSON.stringify({
          iss: issuer,
          sub: subject,
          aud: service,
          exp: now + 300,
          nbf: now - 10,
          iat: now,
          jti: randomUUID(),
          access,
        }),
      );
      const signature = sign('sha256', Buffer.from(`${header}.${claims}`), key).toString('base64url');
      return `${header}.${claims}.${signature}`;
    };
    const tokenRequests: TokenRequest[] = [];
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://token');
      const scope = u.searchParams.get('scope');
      tokenRequests.push({
        authorization: req.headers.authorization,
        service: u.searchParams.get('service'),
        scope,
      });
      if (u.pathname !== '/token') return void res.writeHead(404).end();
      const known = req.headers.authorization === basic;
      if (req.headers.authorization !== undefined && !known) return void res.writeHead(401).end();
      // scope = repository:<name>:<actions,…> (the name may hold slashes, never colons).
      const m = scope ? /^repository:([^:]+):([\w,]+)$/.exec(scope) : null;
      const access: Access[] =
        known && m ? [{ type: 'repository', name: m[1]!, actions: m[2]!.split(',') }] : [];
      const token = mint(access, known ? username : '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${JSON.stringify(join(dir, 'data'))}}}`,
      `http: {addr: "127.0.0.1:${port}"}`,
      `auth: {token: {realm: ${JSON.stringify(realm)}, service: ${service}, issuer: ${issuer}, rootcertbundle: ${JSON.stringify(certPath)}}}`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'config.yml'), config);
    proc = spawnPeer('docker-registry', ['serve', join(dir, 'config.yml')]);
    const url = `http://127.0.0.1:${port}`;
    const started = proc;
    await waitFor(`token-auth registry on ${url}`, async () => (await fetch(`${url}/v2/`)).status === 401, {
      timeoutMs: opts.timeoutMs ?? 20_000,
      peer: started,
    });
    const tokenServer = server;
    return {
      url,
      realm,
      service,
      username,
      password,
      tokenRequests,
      mint: (access) => mint(access),
      async stop() {
        await started.stop();
        await new Promise<void>((resolve) => tokenServer.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await proc?.stop();
    server?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
