import { Writable } from 'node:stream';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  AuthenticationError,
  CheckFailedError,
  ConflictError,
  InputError,
  InternalError,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
  UnreachableError,
  type AppError,
} from '../domain/errors.js';
import { createLogger } from '../logging/logger.js';
import { Redactor } from '../logging/redactor.js';
import { errorHandler, notFoundHandler, type ErrorBody } from './error-handler.js';

function setup(thrower: () => unknown) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const redactor = new Redactor();
  const logger = createLogger(redactor, { level: 'info', destination: sink });
  const app = new Hono();
  app.onError(errorHandler({ logger, redactor }));
  app.notFound(notFoundHandler);
  app.all('/boom', () => {
    throw thrower();
  });
  return { app, lines, redactor };
}

async function hit(thrower: () => unknown) {
  const s = setup(thrower);
  const res = await s.app.request('/boom?q=1', { method: 'POST' });
  return { res, body: (await res.json()) as ErrorBody, lines: s.lines };
}

describe('errorHandler', () => {
  it.each<[() => AppError, number]>([
    [() => new InputError('bad region'), 400],
    [() => new AuthenticationError('no token'), 401],
    [() => new NotAllowedError('needs admin'), 403],
    [() => new NotFoundError('no integration x'), 404],
    [() => new ConflictError('exists'), 409],
    [() => new PayloadTooLargeError('too big'), 413],
    [() => new CheckFailedError('test failed', { ok: false }), 422],
    [() => new UnreachableError('registry did not answer'), 502],
    [() => new UnavailableError('git remote down'), 503],
  ])('maps %s to its status with a stable body', async (make, status) => {
    const err = make();
    const { res, body } = await hit(() => err);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const { id, ...rest } = body.error;
    expect(rest).toEqual({ name: err.name, message: err.message, hints: [], details: [] });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('carries hints, details and a CheckFailedError result', async () => {
    const result = { ok: false, checks: [{ name: 'ecr:DescribeImages', ok: false, message: 'denied' }] };
    const { res, body } = await hit(
      () =>
        new CheckFailedError('connection test failed', result, {
          hints: ['attach AmazonEC2ContainerRegistryReadOnly'],
          details: [{ path: 'spec.roleArn', message: 'cannot be assumed' }],
        }),
    );
    expect(res.status).toBe(422);
    expect(body.error.hints).toEqual(['attach AmazonEC2ContainerRegistryReadOnly']);
    expect(body.error.details).toEqual([{ path: 'spec.roleArn', message: 'cannot be assumed' }]);
    expect(body.result).toEqual(result);
  });

  it('adds a Bearer challenge to every 401', async () => {
    const { res } = await hit(() => new AuthenticationError('no token'));
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer /);
  });

  it('answers 500 with a generic message and an id, and logs the error under that id', async () => {
    const { res, body, lines } = await hit(
      () => new TypeError('cannot read x of undefined at /src/secret/path.ts'),
    );
    expect(res.status).toBe(500);
    expect(body.error.name).toBe('InternalError');
    expect(body.error.message).not.toMatch(/undefined|path\.ts/);
    const text = JSON.stringify(body);
    expect(text).not.toContain('stack');
    const logged = lines.find((l) => l['errorId'] === body.error.id);
    expect(logged?.['level']).toBe(50);
    expect(JSON.stringify(logged)).toContain('cannot read x of undefined');
  });

  it('does not show an InternalError message to the client either', async () => {
    const { res, body } = await hit(() => new InternalError('invariant broke: map had 3 keys'));
    expect(res.status).toBe(500);
    expect(body.error.message).not.toContain('invariant');
  });

  it('answers 400 for a ZodError with dot paths', async () => {
    const schema = z.object({ spec: z.object({ regions: z.array(z.string()), roleArn: z.string() }) });
    const parsed = schema.safeParse({ spec: { regions: ['a', 1] } });
    const { res, body } = await hit(() => parsed.error);
    expect(res.status).toBe(400);
    expect(body.error.name).toBe('InputError');
    expect(body.error.details.map((d) => d.path).sort()).toEqual(['spec.regions[1]', 'spec.roleArn']);
  });

  it('maps HTTPException from middleware, keeping its challenge header', async () => {
    const res401 = new Response('x', {
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
    const { res, body } = await hit(() => new HTTPException(401, { res: res401, message: 'nope' }));
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    expect(body.error.name).toBe('AuthenticationError');

    const bad = await hit(() => new HTTPException(400, { message: 'Malformed JSON in request body' }));
    expect(bad.res.status).toBe(400);
    expect(bad.body.error).toMatchObject({ name: 'InputError', message: 'Malformed JSON in request body' });

    const oops = await hit(() => new HTTPException(500, { message: 'internal detail' }));
    expect(oops.res.status).toBe(500);
    expect(oops.body.error.message).not.toContain('internal detail');
  });

  it('redacts registered secrets from messages', async () => {
    const s = setup(() => new InputError('secret key wJalrXUtnFEMI/K7MDENG is wrong'));
    s.redactor.register('wJalrXUtnFEMI/K7MDENG');
    const res = await s.app.request('/boom');
    const text = await res.text();
    expect(text).not.toContain('wJalrXUtnFEMI');
    expect(text).toContain('[REDACTED]');
    expect(JSON.stringify(s.lines)).not.toContain('wJalrXUtnFEMI');
  });
});

describe('notFoundHandler', () => {
  it('answers unknown routes in the same shape', async () => {
    const { app } = setup(() => new Error('unused'));
    const res = await app.request('/nope?token=abc');
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ name: 'NotFoundError', hints: [expect.any(String)], details: [] });
    expect(body.error.message).toContain('GET /nope');
    expect(body.error.message).not.toContain('token=abc');
  });
});
