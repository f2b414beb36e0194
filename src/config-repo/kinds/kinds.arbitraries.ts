import fc from 'fast-check';
import { API_VERSION } from './common.js';

// Generators for the property tests of the resource kinds (kinds.*.property.test.ts): valid resources of
// every kind, at their place in the configuration repository's layout.

export const RUNS = { numRuns: 300 };

const lowerAlnum = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const upperAlnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');
const bech32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'.split('');
const roleChars = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-'];
const chars = (set: string[], min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...set), minLength: min, maxLength: max });

export const resourceName = fc
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

export const integration: fc.Arbitrary<Generated> = fc
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

export const validResource = fc.oneof(runtime, integration, controlPlane);
