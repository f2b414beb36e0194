import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { FakeTokenStore } from '../store/fake-token-store.js';
import { bearerAuth, type AuthClock, type AuthEnv } from './auth.js';
import { clientAddressResolver, parseTrustedProxies, resolveClientAddress } from './client-address.js';
import { errorHandler } from './error-handler.js';

describe('resolveClientAddress', () => {
  const trusted = parseTrustedProxies(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);

  it.each([
    ['an untrusted peer: its X-Forwarded-For is ignored', '203.0.113.9', '198.51.100.1', '203.0.113.9'],
    ['no header from a trusted proxy: the proxy itself', '10.1.2.3', undefined, '10.1.2.3'],
    ['a trusted proxy: the address it appended', '10.1.2.3', '198.51.100.7', '198.51.100.7'],
    [
      'a client that forged entries: the rightmost untrusted one, not what the client wrote',
      '10.1.2.3',
      '1.2.3.4, 5.6.7.8, 198.51.100.7',
      '198.51.100.7',
    ],
    ['two trusted hops are skipped', '10.1.2.3', '198.51.100.7, 192.168.1.5, 10.9.9.9', '198.51.100.7'],
    ['garbage behind trusted hops: the last trusted hop', '10.1.2.3', 'evil, 10.9.9.9', '10.9.9.9'],
    ['every hop trusted: the leftmost', '10.1.2.3', '10.0.0.1, 10.0.0.2', '10.0.0.1'],
    ['an IPv4-mapped peer is matched as IPv4', '::ffff:10.1.2.3', '198.51.100.7', '198.51.100.7'],
    ['IPv6 ranges', 'fd12::1', '2001:db8::1', '2001:db8::1'],
  ])('%s', (_what, peer, xff, expected) => {
    expect(resolveClientAddress(trusted, peer, xff)).toBe(expected);
  });

  it('refuses what is not an address or a CIDR range, naming it', () => {
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', 'fd00::/129', '']) {
      expect(() => parseTrustedProxies([bad])).toThrow(/--trusted-proxy .* is not an address or CIDR range/);
    }
  });
});

/** Time that only moves when the code under test sleeps; records every sleep. */
function fakeClock(): AuthClock & { sleeps: number[] } {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
  };
}

describe('the auth slow-down behind a load balancer (a real HTTP server on loopback)', () => {
  let server: ServerType | undefined;
  afterEach(() => {
    server?.close();
    server = undefined;
  });

  async function start(trustedProxies: string[]) {
    const clock = fakeClock();
    const redactor = new Redactor();
    const app = new Hono<AuthEnv>();
    app.onError(errorHandler({ logger: createLogger(redactor, { level: 'silent' }), redactor }));
    app.use(
      '*',
      bearerAuth({
        tokens: new FakeTokenStore(),
        clock,
        baseDelayMs: 100,
        maxDelayMs: 10_000,
        clientAddress: clientAddressResolver(parseTrustedProxies(trustedProxies)),
      }),
    );
    app.get('/x', (c) => c.text('ok'));
    const url = await new Promise<string>((ok) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        ok(`http://127.0.0.1:${info.port}/x`),
      );
    });
    const guess = async (forwardedFor: string) => {
      const res = await fetch(url, {
        headers: { authorization: 'Bearer it_wrong', 'x-forwarded-for': forwardedFor },
      });
      expect(res.status).toBe(401);
    };
    return { clock, guess };
  }

  it('keys on the client named by a trusted proxy: two clients behind one balancer are slowed separately', async () => {
    const { clock, guess } = await start(['127.0.0.1/32']);
    await guess('198.51.100.1');
    await guess('198.51.100.1');
    await guess('198.51.100.1');
    await guess('198.51.100.2');
    expect(clock.sleeps).toEqual([100, 200, 400, 100]);
    // A client writing its own X-Forwarded-For in front does not escape: the proxy appends the real one.
    await guess('203.0.113.50, 198.51.100.1');
    expect(clock.sleeps.at(-1)).toBe(800);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: spoofing it resets nothing', async () => {
    const { clock, guess } = await start(['10.0.0.0/8']);
    await guess('198.51.100.1');
    await guess('198.51.100.2');
    await guess('198.51.100.3');
    expect(clock.sleeps).toEqual([100, 200, 400]);
  });
});
