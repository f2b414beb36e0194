import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateFile, type Problem } from '../validate.js';
import { API_VERSION } from './common.js';

// Property tests for the resource kinds as `validateFile` sees them in the configuration repository:
// arbitrary input never makes validation throw (not even internally: no "cannot validate" catch-all), every
// problem is well formed, and every valid generated resource round-trips through YAML and validates clean.

const RUNS = { numRuns: 300 };

const KINDS = ['Runtime', 'Integration', 'ControlPlane'] as const;

const lowerAlnum = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const upperAlnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');
const bech32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'.split('');
const roleChars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-'];
const chars = (set: string[], min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...set), minLength: min, maxLength: max });

const resourceName = fc
  .tuple(chars(lowerAlnum, 1, 1), chars([...lowerAlnum, '-'], 0, 30), chars(lowerAlnum, 1, 1))
  .map(([a, b, c]) => (a + b + c).slice(0, 63));
const recipient = chars(bech32, 58, 58).map((s) => `age1${s}`);
const sealed = fc.record({
  sealed: fc
    .base64String({ minLength: 4, maxLength: 200 })
    .map((b) => `-----BEGIN AGE ENCRYPTED FILE-----\n${b}\n-----END AGE ENCRYPTED FILE-----\n`),
  recipients: fc.array(recipient, { minLength: 1, maxLength: 4 }),
});
const region = fc
  .tuple(
    chars('abcdefghijklmnopqrstuvwxyz'.split(''), 2, 2),
    fc.constantFrom('', '-gov', '-iso', '-isob'),
    chars('abcdefghijklmnopqrstuvwxyz'.split(''), 1, 10),
    fc.integer({ min: 1, max: 99 }),
  )
  .map(([a, b, c, d]) => `${a}${b}-${c}-${d}`);
const roleArn = fc
  .tuple(
    fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'),
    chars('0123456789'.split(''), 12, 12),
    fc.array(chars(roleChars, 1, 10), { maxLength: 3 }),
    chars(roleChars, 1, 64),
  )
  .map(([p, acct, path, name]) => `arn:${p}:iam::${acct}:role/${path.map((x) => x + '/').join('')}${name}`);
const host = fc
  .array(chars(lowerAlnum, 1, 12), { minLength: 1, maxLength: 4 })
  .map((parts) => `${parts.join('.')}.example`);
const endpointUrl = fc
  .tuple(
    fc.constantFrom('http', 'https'),
    host,
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    fc.constantFrom('', '/api/v3', '/jira', '/x/y'),
  )
  .map(([scheme, h, port, path]) => `${scheme}://${h}${port === undefined ? '' : `:${port}`}${path}`);
const text = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const labelName = fc
  .tuple(
    chars(lowerAlnum, 1, 1),
    chars([...lowerAlnum, ...upperAlnum, '-', '_', '.'], 0, 20),
    chars(upperAlnum, 1, 1),
  )
  .map(([a, b, c]) => a + b + c);
const metadataKey = fc
  .tuple(fc.option(host, { nil: undefined }), labelName)
  .map(([prefix, n]) => (prefix ? `${prefix}/${n}` : n));
const metadata = (name: fc.Arbitrary<string>) =>
  fc.record(
    {
      name,
      labels: fc.dictionary(metadataKey, fc.oneof(fc.constant(''), labelName), { maxKeys: 4 }),
      annotations: fc.dictionary(metadataKey, text, { maxKeys: 4 }),
    },
    { requiredKeys: ['name'] },
  );
const semver = fc
  .tuple(
    fc.nat(99),
    fc.nat(99),
    fc.nat(999),
    fc.option(chars([...lowerAlnum, '.', '-'], 1, 10), { nil: undefined }),
  )
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);
const description = fc.option(fc.string({ maxLength: 500 }), { nil: undefined });
const drop = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const ecrSpec = fc.record(
  {
    region,
    auth: fc.oneof(
      fc.record(
        {
          mode: fc.constant('iamRole' as const),
          roleArn,
          externalId: chars([...roleChars, ':', '/'], 2, 60),
          sessionName: chars(roleChars, 2, 64),
          durationSeconds: fc.integer({ min: 900, max: 3600 }),
        },
        { requiredKeys: ['mode', 'roleArn'] },
      ),
      fc.record({
        mode: fc.constant('accessKey' as const),
        accessKeyId: chars(upperAlnum, 16, 40),
        secretAccessKey: sealed,
      }),
    ),
    endpoints: fc.record({ api: endpointUrl, sts: endpointUrl, registry: endpointUrl }, { requiredKeys: [] }),
  },
  { requiredKeys: ['region', 'auth'] },
);
const githubSpec = fc.record({ apiUrl: endpointUrl, token: sealed }, { requiredKeys: ['token'] });
const projectKey = fc
  .tuple(chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''), 1, 1), chars([...upperAlnum, '_'], 0, 6))
  .map(([a, b]) => a + b);
const jiraSpec = fc.record(
  {
    baseUrl: endpointUrl,
    auth: fc.oneof(
      fc.record({
        kind: fc.constant('cloud' as const),
        email: fc
          .tuple(chars(lowerAlnum, 1, 10), chars(lowerAlnum, 1, 10))
          .map(([l, d]) => `${l}@${d}.example`),
        apiToken: sealed,
      }),
      fc.record({ kind: fc.constant('server' as const), pat: sealed }),
    ),
    projectPrefixes: fc.array(projectKey, { minLength: 1, maxLength: 4 }).map((ks) => ks.join(',')),
    failOnNotFound: fc.boolean(),
  },
  { requiredKeys: ['baseUrl', 'auth'] },
);

interface Generated {
  file: string;
  resource: Record<string, unknown>;
}

const runtime: fc.Arbitrary<Generated> = fc
  .tuple(
    resourceName,
    metadata(fc.constant('')),
    fc.constantFrom('hybrid', 'hosted'),
    semver,
    recipient,
    description,
  )
  .map(([name, meta, type, version, rec, desc]) => ({
    file: `runtimes/${name}/runtime.yaml`,
    resource: {
      apiVersion: API_VERSION,
      kind: 'Runtime',
      metadata: { ...meta, name },
      spec: drop({ type, version, recipient: rec, description: desc }),
    },
  }));

const integration: fc.Arbitrary<Generated> = fc
  .tuple(
    resourceName,
    fc.option(resourceName, { nil: undefined }),
    metadata(fc.constant('')),
    description,
    fc.oneof(
      ecrSpec.map((ecr) => ({ type: 'registry.ecr', ecr })),
      githubSpec.map((github) => ({ type: 'git.github', github })),
      jiraSpec.map((jira) => ({ type: 'issue.jira', jira })),
    ),
  )
  .map(([name, rt, meta, desc, spec]) => ({
    file: rt ? `resources/runtimes/${rt}/${name}.yaml` : `resources/all-runtimes-all-clusters/${name}.yaml`,
    resource: {
      apiVersion: API_VERSION,
      kind: 'Integration',
      metadata: { ...meta, name },
      spec: drop({ ...spec, description: desc }),
    },
  }));

const controlPlane: fc.Arbitrary<Generated> = fc.tuple(resourceName, recipient).map(([name, rec]) => ({
  file: 'resources/control-planes/control-plane.yaml',
  resource: { apiVersion: API_VERSION, kind: 'ControlPlane', metadata: { name }, spec: { recipient: rec } },
}));

const validResource = fc.oneof(runtime, integration, controlPlane);

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
