import { describe, expect, it } from 'vitest';
import { Redactor } from '../logging/redactor.js';
import { bindingDifferences, openSealed, sealBound, type SealBinding } from './sealed-binding.js';
import { generateIdentity, seal } from './sealing.js';

const binding: SealBinding = {
  kind: 'Integration',
  type: 'git.github',
  name: 'gh',
  field: 'spec.github.token',
  destinations: { apiUrl: 'https://api.github.com' },
};

describe('bound sealed values', () => {
  it('seal and open round-trip the value with its binding; only the value goes to the redactor', async () => {
    const k = await generateIdentity();
    const redactor = new Redactor();
    const opened = await openSealed(await sealBound('ghp_x1', binding, [k.recipient]), k.identity, {
      redactor,
    });
    expect(opened).toEqual({ bound: true, binding, value: 'ghp_x1' });
    expect(redactor.redact('token ghp_x1 for gh')).not.toContain('ghp_x1');
    expect(redactor.redact('spec.github.token')).toBe('spec.github.token');
  });

  it('tells a value sealed before bindings (bare secret, even JSON-looking) from a bound one', async () => {
    const k = await generateIdentity();
    expect(await openSealed(await seal('plain', [k.recipient]), k.identity)).toEqual({
      bound: false,
      value: 'plain',
    });
    const lookalike = JSON.stringify({ v: 1, value: 'x' }); // no binding: not an envelope
    expect((await openSealed(await seal(lookalike, [k.recipient]), k.identity)).bound).toBe(false);
  });

  it('names every setting that differs, destinations included', () => {
    expect(bindingDifferences(binding, binding)).toEqual([]);
    const moved = bindingDifferences(binding, {
      ...binding,
      type: 'registry.ecr',
      field: 'spec.ecr.auth.secretAccessKey',
      destinations: { region: 'eu-west-1' },
    });
    expect(moved.join('\n')).toMatch(/^type .*\nfield .*\napiUrl .*\nregion /);
    expect(
      bindingDifferences(binding, { ...binding, destinations: { apiUrl: 'http://127.0.0.1:1' } }),
    ).toEqual(['apiUrl (sealed for https://api.github.com, now http://127.0.0.1:1)']);
  });
});
