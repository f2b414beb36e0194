import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../logging/redactor.js';
import { CheckRecorder } from './probe-checks.js';
import type { EcrCheck } from './probe-types.js';

const recorder = (seen: EcrCheck[] = [], redactor = new Redactor()) =>
  new CheckRecorder({ redactor, region: 'eu-west-1', regionKnown: true }, (c) => seen.push(c));

describe('CheckRecorder', () => {
  it('records a passing check with its action and a redacted message, and streams it', async () => {
    const redactor = new Redactor();
    redactor.register('secret-in-message');
    const seen: EcrCheck[] = [];
    const r = recorder(seen, redactor);
    const out = await r.run({
      name: 'identity',
      action: 'sts:GetCallerIdentity',
      endpoint: 'https://sts.example',
      fn: () => Promise.resolve(42),
      context: {},
      describe: (v) => `value ${v} secret-in-message`,
    });
    expect(out).toMatchObject({ ok: true, value: 42 });
    expect(r.checks).toEqual([
      expect.objectContaining({
        name: 'identity',
        ok: true,
        action: 'sts:GetCallerIdentity',
        message: 'value 42 [REDACTED]',
      }),
    ]);
    expect(seen).toEqual(r.checks);
  });

  it('turns a thrown error into a failed, classified check; unrecorded checks are only streamed', async () => {
    const seen: EcrCheck[] = [];
    const r = recorder(seen);
    const err = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    const out = await r.run(
      {
        name: 'ecr:DescribeImages',
        action: 'ecr:DescribeImages',
        endpoint: 'https://api',
        fn: () => Promise.reject(err),
        context: {},
        describe: () => '',
      },
      false,
    );
    expect(out).toMatchObject({ ok: false, errorClass: 'throttled' });
    expect(out.check).toMatchObject({ ok: false, action: 'ecr:DescribeImages', errorClass: 'throttled' });
    expect(r.checks).toEqual([]);
    expect(seen).toEqual([out.check]);
  });

  it('skipRest marks every check not yet run, in order', async () => {
    const r = recorder();
    r.emit({ name: 'region', ok: true, message: 'ok', durationMs: 0 });
    r.skipRest(['region', 'identity', 'registry'], 'the credentials were rejected');
    expect(r.checks.map((c) => [c.name, c.ok, c.skipped ?? false, c.message])).toEqual([
      ['region', true, false, 'ok'],
      ['identity', false, true, 'Skipped: the credentials were rejected.'],
      ['registry', false, true, 'Skipped: the credentials were rejected.'],
    ]);
  });
});
