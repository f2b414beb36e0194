import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { call, freshAddress, tokens, useAccessServer } from './access-server.js';

// Failed authentications are slowed down per client address: this measures the delay from one loopback
// source address on its own (the access matrix, access-matrix.test.ts, sends each failing credential from
// a fresh address so that it measures the answers only).

useAccessServer();

describe('guessing tokens', () => {
  it('repeated failures from one client get slower; other clients and valid tokens are not slowed', async () => {
    const from = freshAddress();
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await call('GET', '/api/v1/runtimes', {
        authorization: 'Bearer it_' + randomBytes(32).toString('base64url'),
        from,
      });
      expect(r.status).toBe(401);
      times.push(r.ms);
    }
    // Exponential back-off: the 6th failure waits far longer than the 1st (generous ratio, not a time).
    expect(times[5]!, JSON.stringify(times)).toBeGreaterThan(4 * times[0]!);
    expect(times[5]!).toBeGreaterThan(times[2]!);
    // A different client is not punished for it…
    const other = await call('GET', '/api/v1/runtimes', {
      authorization: 'Bearer it_' + randomBytes(32).toString('base64url'),
      from: freshAddress(),
    });
    expect(other.status).toBe(401);
    expect(other.ms).toBeLessThan(times[5]! / 2);
    // …and a valid token from the slowed-down client still works at once.
    const ok = await call('GET', '/api/v1/runtimes', { authorization: `Bearer ${tokens.admin}`, from });
    expect(ok.status).toBe(200);
    expect(ok.ms).toBeLessThan(times[5]! / 2);
  }, 60_000);
});
