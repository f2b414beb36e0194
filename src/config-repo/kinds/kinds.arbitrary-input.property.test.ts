import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateFile, type Problem } from '../validate.js';
import { API_VERSION } from './common.js';
import { integration, resourceName, RUNS, validResource } from './kinds.arbitraries.js';

// Property tests for the resource kinds as `validateFile` sees them in the configuration repository:
// arbitrary input never makes validation throw (not even internally: no "cannot validate" catch-all), and
// every problem is well formed. (Valid resources: kinds.valid-resources.property.test.ts.)

const KINDS = ['Runtime', 'Integration', 'ControlPlane'] as const;

/** Paths a hand edit can put a file at: every role of the layout, and outside it. */
const anyPath = fc.oneof(
  fc.constantFrom(
    'resources/all-runtimes-all-clusters/x.yaml',
    'resources/runtimes/local/x.yaml',
    'resources/control-planes/control-plane.yaml',
    'resources/control-planes/other.yaml',
    'runtimes/local/runtime.yaml',
    'runtimes/local/in-cluster.yaml',
    'runtimes/local/other.yaml',
    'resources/all-runtimes-all-clusters/x.yml',
    'README.md',
    'elsewhere/x.yaml',
  ),
  resourceName.map((n) => `resources/all-runtimes-all-clusters/${n}.yaml`),
  resourceName.map((n) => `runtimes/${n}/runtime.yaml`),
);

function wellFormed(file: string, problems: Problem[]): void {
  for (const p of problems) {
    expect(p.file).toBe(file);
    expect(typeof p.path).toBe('string');
    expect(['error', 'warning']).toContain(p.severity);
    expect(p.message.length).toBeGreaterThan(3);
    // The catch-all in validateFile means an exception escaped the validation code: a bug.
    expect(p.message).not.toMatch(/^cannot validate/);
  }
}

function check(file: string, text: string): ReturnType<typeof validateFile> {
  const r = validateFile(file, text);
  wellFormed(file, r.problems);
  if (r.resource) expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  else if (/\.yaml$/.test(file) && !file.startsWith('elsewhere/')) {
    // Not a resource: either something is reported, or it is a foreign manifest left alone.
  }
  return r;
}

describe('validateFile on arbitrary input', () => {
  it('arbitrary JSON, as YAML and as JSON text, at any path: never throws, problems well formed', () => {
    fc.assert(
      fc.property(anyPath, fc.jsonValue({ maxDepth: 6 }), (file, value) => {
        check(file, stringify(value));
        check(file, JSON.stringify(value) ?? 'null');
      }),
      RUNS,
    );
  });

  it('arbitrary text at any path: never throws', () => {
    fc.assert(
      fc.property(
        anyPath,
        fc.oneof(fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 })),
        (file, text) => {
          check(file, text);
        },
      ),
      {
        ...RUNS,
        // Found by this property (rarely at random, so pinned): aliases whose anchor is missing or recursive.
        examples: [
          ['runtimes/aa/runtime.yaml', '*!'],
          ['resources/all-runtimes-all-clusters/x.yaml', 'a: *nowhere\n'],
          ['resources/all-runtimes-all-clusters/x.yaml', 'a: &a [1, *a]\n'],
        ],
      },
    );
  });

  it('envelopes of every kind with arbitrary metadata and spec: never throws, never valid by accident', () => {
    fc.assert(
      fc.property(
        anyPath,
        fc.constantFrom(...KINDS, 'Application', 'Secret', ''),
        fc.oneof(fc.constant(API_VERSION), fc.constant('argoproj.io/v1alpha1'), fc.string({ maxLength: 30 })),
        fc.jsonValue({ maxDepth: 3 }),
        fc.jsonValue({ maxDepth: 5 }),
        (file, kind, apiVersion, name, spec) => {
          const r = check(file, stringify({ apiVersion, kind, metadata: { name }, spec }));
          if (r.resource && apiVersion === API_VERSION) {
            // Only a resource that really satisfies its kind comes back (then its name is a valid name).
            expect(typeof (r.resource as { metadata: { name: unknown } }).metadata.name).toBe('string');
          }
        },
      ),
      RUNS,
    );
  });

  it('valid resources with one field replaced by arbitrary JSON: never throws', () => {
    fc.assert(
      fc.property(
        validResource,
        fc.jsonValue({ maxDepth: 3 }),
        fc.nat(),
        ({ file, resource }, junk, pick) => {
          const copy = structuredClone(resource);
          // Walk to a random object inside the resource and overwrite one of its keys.
          let cur: Record<string, unknown> = copy;
          for (let depth = 0; depth < 4; depth++) {
            const keys = Object.keys(cur);
            const k = keys[(pick >> depth) % keys.length]!;
            const next = cur[k];
            if (depth === 3 || !next || typeof next !== 'object' || Array.isArray(next)) {
              cur[k] = junk;
              break;
            }
            cur = next as Record<string, unknown>;
          }
          check(file, stringify(copy));
        },
      ),
      RUNS,
    );
  });

  it('URL fields (ECR endpoints, GitHub apiUrl, Jira baseUrl) holding any string: never throws', () => {
    const withUrlField = fc.oneof(
      integration.filter((g) => (g.resource as any).spec.type !== 'registry.ecr'),
      integration.filter((g) => (g.resource as any).spec.type === 'registry.ecr'),
    );
    fc.assert(
      fc.property(withUrlField, fc.string({ maxLength: 60 }), ({ file, resource }, url) => {
        const copy = structuredClone(resource) as any;
        const spec = copy.spec;
        if (spec.type === 'git.github') spec.github.apiUrl = url;
        else if (spec.type === 'issue.jira') spec.jira.baseUrl = url;
        else spec.ecr.endpoints = { api: url, sts: url, registry: url };
        check(file, stringify(copy));
      }),
      {
        ...RUNS,
        examples: [
          [
            {
              file: 'resources/all-runtimes-all-clusters/a.yaml',
              resource: {
                apiVersion: API_VERSION,
                kind: 'Integration',
                metadata: { name: 'a' },
                spec: {
                  type: 'git.github',
                  github: {
                    token: {
                      sealed: '-----BEGIN AGE ENCRYPTED FILE-----\nx\n',
                      recipients: ['age1' + 'q'.repeat(58)],
                    },
                  },
                },
              },
            },
            'not a url',
          ],
        ],
      },
    );
  });
});
