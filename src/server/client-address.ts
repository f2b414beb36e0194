import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';
import { InputError } from '../domain/errors.js';

/**
 * Who a request comes from, for the failed-authentication slow-down. Behind a load balancer every request
 * arrives from the balancer's address; `X-Forwarded-For` names the client, but anyone can send that
 * header, so it is read only when the TCP peer is a trusted proxy (`--trusted-proxy CIDR`). The list is
 * walked from the right (each proxy appends the address it saw), skipping trusted proxies: the first
 * address that is not one is the client. What a client wrote itself sits further left and is never used.
 */
export type ClientAddress = (c: Context) => string;

/** Parses `--trusted-proxy` values: `10.0.0.0/8`, `fd00::/8`, or a single address. Throws InputError. */
export function parseTrustedProxies(values: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of values) {
    const value = raw.trim();
    const [addr = '', bits, extra] = value.split('/');
    const family = isIP(addr);
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new InputError(`--trusted-proxy ${JSON.stringify(value)} is not an address or CIDR range`, {
        hints: ['Use e.g. --trusted-proxy 10.0.0.0/8 or --trusted-proxy 127.0.0.1 (repeatable).'],
      });
    }
    list.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) is 10.0.0.1. */
function normalise(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return v4 ?? address;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client address behind `trusted` proxies, given the TCP peer and the `X-Forwarded-For` header(s).
 * Pure, for tests; `clientAddressResolver` applies it to a request.
 */
export function resolveClientAddress(
  trusted: BlockList,
  peer: string,
  forwardedFor: string | undefined,
): string {
  let client = normalise(peer);
  if (!isTrusted(trusted, client) || !forwardedFor) return client;
  const hops = forwardedFor
    .split(',')
    .map((h) => normalise(h.trim()))
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // Garbage where a proxy should have written an address: keep the last hop we could trust.
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return client;
}

/** Reads the peer from @hono/node-server (`c.env.incoming`), without depending on that package. */
export function clientAddressResolver(trusted: BlockList): ClientAddress {
  return (c) => {
    const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
    const peer = env?.incoming?.socket?.remoteAddress ?? 'unknown';
    return resolveClientAddress(trusted, peer, c.req.header('x-forwarded-for'));
  };
}
