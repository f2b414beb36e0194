import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateFile } from '../validate.js';
import { integration, RUNS, validResource } from './kinds.arbitraries.js';

// Property tests for the resource kinds as `validateFile` sees them in the configuration repository: every
// valid generated resource round-trips through YAML and validates clean, and a secret in clear is reported.
// (Arbitrary input: kinds.arbitrary-input.property.test.ts.)

describe('valid resources', () => {
  it('round-trip through YAML and validate clean, at their place in the layout', () => {
    fc.assert(
      fc.property(validResource, ({ file, resource }) => {
        const r = validateFile(file, stringify(resource));
        expect(r.problems).toEqual([]);
        expect(r.resource).toEqual(resource);
      }),
      RUNS,
    );
  });

  it('round-trip through JSON text too (JSON is YAML; people paste it)', () => {
    fc.assert(
      fc.property(validResource, ({ file, resource }) => {
        const r = validateFile(file, JSON.stringify(resource, null, 2));
        expect(r.problems).toEqual([]);
        expect(r.resource).toEqual(resource);
      }),
      RUNS,
    );
  });

  it('a secret field holding a string instead of a sealed value is reported as a clear-text secret', () => {
    fc.assert(
      fc.property(integration, fc.string({ minLength: 1, maxLength: 40 }), ({ file, resource }, secret) => {
        const copy = structuredClone(resource) as any;
        const spec = copy.spec;
        let path: string;
        if (spec.type === 'git.github') {
          spec.github.token = secret;
          path = 'spec.github.token';
        } else if (spec.type === 'issue.jira') {
          const key = spec.jira.auth.kind === 'cloud' ? 'apiToken' : 'pat';
          spec.jira.auth[key] = secret;
          path = `spec.jira.auth.${key}`;
        } else if (spec.ecr.auth.mode === 'accessKey') {
          spec.ecr.auth.secretAccessKey = secret;
          path = 'spec.ecr.auth.secretAccessKey';
        } else return;
        const r = validateFile(file, stringify(copy));
        expect(r.resource).toBeUndefined();
        expect(r.problems).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ path, message: expect.stringMatching(/secret stored in clear/) }),
          ]),
        );
        // The clear value itself is never repeated in a problem.
        if (secret.trim().length >= 8) expect(JSON.stringify(r.problems)).not.toContain(secret);
      }),
      RUNS,
    );
  });
});
