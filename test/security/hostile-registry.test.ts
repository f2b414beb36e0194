import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnavailableError } from '../../src/domain/errors.js';
import { RegistryClient } from '../../src/integrations/registry/oci/client.js';

// Issue 8, finding 6: a registry's `Link: rel="next"` to another origin received the registry credentials,
// and one tag listing could buffer hundreds of MiB (a single 500k-tag page threw RangeError). A hostile
// registry and a second server on another loopback port (another origin) play the parts.

type Handler = (path: string, res: ServerResponse) => void;
const servers: Server[] = [];

async function serve(handler: Handler): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    handler(req.url ?? '/', res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

const client = (endpoint: string) =>
  new RegistryClient({
    endpoint,
    auth: { kind: 'basic', username: 'ci', password: 'registry-password-hostile-test' },
    timeoutMs: 5000,
    retries: 0,
  });

let collector: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  collector = await serve((_p, res) => json(res, { name: 'team/app', tags: ['stolen'] }));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

describe('a hostile registry', () => {
  it('cannot send the credentials to another origin through Link rel="next"', async () => {
    const registry = await serve((_p, res) =>
      json(
        res,
        { name: 'team/app', tags: ['v1'] },
        { link: `<${collector.url}/v2/team/app/tags/list?last=v1>; rel="next"` },
      ),
    );
    await expect(client(registry.url).listTags('team/app')).rejects.toThrow(/another origin/);
    expect(registry.seen[0]?.authorization).toMatch(/^Basic /);
    expect(collector.seen).toEqual([]);
  });

  it('a single huge tag page fails with a clear error, not RangeError, and is not buffered whole', async () => {
    // ~500k tags in one page, streamed in chunks: far over the 16 MiB listing budget.
    const registry = await serve((_p, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"name":"team/app","tags":[');
      const chunk = Array.from({ length: 10_000 }, (_, i) => `"tag-${String(i).padStart(30, '0')}"`).join(
        ',',
      );
      let sent = 0;
      const more = () => {
        while (sent < 50) {
          sent++;
          if (!res.write((sent > 1 ? ',' : '') + chunk)) return void res.once('drain', more);
        }
        res.end(']}');
      };
      res.on('error', () => undefined);
      more();
    });
    const err = await client(registry.url)
      .listTags('team/app')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as Error).message).toMatch(/limit|larger than/);
  });

  it('many pages together are capped in bytes, not only in pages', async () => {
    const page = JSON.stringify({
      name: 'team/app',
      tags: Array.from({ length: 40_000 }, (_, i) => `t${i}`.padEnd(40, 'x')),
    });
    let n = 0;
    const registry = await serve((_p, res) =>
      json(res, JSON.parse(page), { link: `</v2/team/app/tags/list?last=p${++n}>; rel="next"` }),
    );
    const err = await client(registry.url)
      .listTags('team/app')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    // 16 MiB at ~1.8 MB a page: the budget, not the 100-page cap, stopped it.
    expect(registry.seen.length).toBeLessThan(12);
    expect(err).not.toBeInstanceOf(UnavailableError);
  });
});
