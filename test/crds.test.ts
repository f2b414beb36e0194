import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { CRD_KINDS, crdFiles, type CustomResourceDefinition } from '../src/config-repo/crds/crds.js';
import { StructuralSchemaError, toStructural } from '../src/config-repo/crds/structural.js';
import { SUPPORTED_KINDS, validateFile } from '../src/config-repo/validate.js';
import {
  assertCustomResourceDefinition,
  crdSchemaValidator,
  structuralViolations,
} from './helpers/kubernetes-schemas.js';
import { ROOT } from './helpers/imagetrail.js';

// The CRDs imagetrail ships and writes into the configuration repository, generated from the zod kinds.
// deploy/crds/ holds the committed copy; `npm run crds` rewrites it (IMAGETRAIL_UPDATE_CRDS=1).

const DEPLOY_DIR = join(ROOT, 'deploy', 'crds');
const files = crdFiles();
const schemaOf = (crd: CustomResourceDefinition) =>
  crd.spec.versions[0]!.schema.openAPIV3Schema as Record<string, unknown>;
const byKind = (kind: string) => files.find((f) => f.crd.spec.names.kind === kind)!.crd;

const R1 = `age1${'q'.repeat(58)}`;
const R2 = `age1${'p'.repeat(58)}`;
const SEALED = {
  sealed: '-----BEGIN AGE ENCRYPTED FILE-----\nYWJj\n-----END AGE ENCRYPTED FILE-----\n',
  recipients: [R1, R2],
};
const doc = (kind: string, name: string, spec: unknown) => ({
  apiVersion: 'imagetrail.dev/v1alpha1',
  kind,
  metadata: { name, labels: { team: 'platform' }, annotations: { 'example.com/owner': 'me' } },
  spec,
});

/** One of every variant, each field set; what imagetrail writes is a subset of these shapes. */
const VALID = [
  doc('Runtime', 'eu', { type: 'hybrid', version: '0.2.0', recipient: R1, description: 'EU' }),
  doc('ControlPlane', 'control-plane', { recipient: R2 }),
  doc('Integration', 'ecr-role', {
    type: 'registry.ecr',
    description: 'role',
    ecr: {
      region: 'eu-west-1',
      auth: {
        mode: 'iamRole',
        roleArn: 'arn:aws:iam::123456789012:role/path/reader',
        externalId: 'ext-1234',
        sessionName: 'imagetrail-eu',
        durationSeconds: 900,
      },
      endpoints: { api: 'https://api.example', sts: 'https://sts.example', registry: 'https://r.example' },
    },
  }),
  doc('Integration', 'ecr-key', {
    type: 'registry.ecr',
    ecr: {
      region: 'us-east-1',
      auth: { mode: 'accessKey', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SEALED },
    },
  }),
  doc('Integration', 'gh', {
    type: 'git.github',
    github: { apiUrl: 'https://ghe.example/api/v3', token: SEALED },
  }),
  doc('Integration', 'jira-cloud', {
    type: 'issue.jira',
    jira: {
      baseUrl: 'https://acme.atlassian.net',
      auth: { kind: 'cloud', email: 'bot@example.com', apiToken: SEALED },
      projectPrefixes: 'OPS,DEV',
      failOnNotFound: true,
    },
  }),
  doc('Integration', 'jira-dc', {
    type: 'issue.jira',
    jira: { baseUrl: 'https://jira.example/jira', auth: { kind: 'server', pat: SEALED } },
  }),
];

/** Invalid for zod and for the CRD alike: the API server refuses them too. */
const INVALID: Array<[string, unknown]> = [
  ['unknown type', doc('Integration', 'x', { type: 'registry.gcr', ecr: {} })],
  ['type without its section', doc('Integration', 'x', { type: 'git.github' })],
  [
    'role mode without roleArn',
    doc('Integration', 'x', {
      type: 'registry.ecr',
      ecr: { region: 'eu-west-1', auth: { mode: 'iamRole' } },
    }),
  ],
  [
    'bad region',
    doc('Integration', 'x', {
      type: 'registry.ecr',
      ecr: { region: 'EU WEST', auth: { mode: 'iamRole', roleArn: 'arn:aws:iam::123456789012:role/r' } },
    }),
  ],
  ['secret in clear', doc('Integration', 'x', { type: 'git.github', github: { token: 'ghp_clear' } })],
  [
    'duration above the AWS cap',
    doc('Integration', 'x', {
      type: 'registry.ecr',
      ecr: {
        region: 'eu-west-1',
        auth: { mode: 'iamRole', roleArn: 'arn:aws:iam::123456789012:role/r', durationSeconds: 7200 },
      },
    }),
  ],
  ['runtime type', doc('Runtime', 'eu', { type: 'cloud', version: '0.2.0', recipient: R1 })],
  ['bad recipient', doc('ControlPlane', 'control-plane', { recipient: 'age1short' })],
  ['bad name', doc('Runtime', 'EU_1', { type: 'hybrid', version: '0.2.0', recipient: R1 })],
];

describe('generated CRDs', () => {
  it('cover every kind imagetrail accepts', () => {
    const covered = CRD_KINDS.flatMap((k) => k.versions.map((v) => `imagetrail.dev/${v.name} ${k.kind}`));
    expect(covered.sort()).toEqual([...SUPPORTED_KINDS].sort());
  });

  it('match the committed deploy/crds/ (run `npm run crds` after changing a kind)', async () => {
    if (process.env['IMAGETRAIL_UPDATE_CRDS'] === '1') {
      await mkdir(DEPLOY_DIR, { recursive: true });
      for (const f of files) await writeFile(join(DEPLOY_DIR, f.file), f.text);
    }
    expect((await readdir(DEPLOY_DIR)).sort()).toEqual(files.map((f) => f.file).sort());
    for (const f of files) expect(await readFile(join(DEPLOY_DIR, f.file), 'utf8'), f.file).toBe(f.text);
  });

  it('are valid apiextensions.k8s.io/v1 CustomResourceDefinitions with structural schemas', () => {
    for (const f of files) {
      const crd = parse(f.text) as unknown;
      expect(() => assertCustomResourceDefinition(crd), f.file).not.toThrow();
      expect(structuralViolations(schemaOf(f.crd)), f.file).toEqual([]);
      expect(f.crd.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('-1');
    }
  });

  it('accept every valid resource whole (nothing pruned) and agree with zod', () => {
    for (const r of VALID) {
      const schema = schemaOf(byKind(r.kind));
      const strict = crdSchemaValidator(schema, { strict: true });
      expect(strict(r), `${r.metadata.name}: ${JSON.stringify(strict.errors)}`).toBe(true);
      const file =
        r.kind === 'Runtime'
          ? `runtimes/${r.metadata.name}/runtime.yaml`
          : r.kind === 'ControlPlane'
            ? 'resources/control-planes/control-plane.yaml'
            : `resources/all-runtimes-all-clusters/${r.metadata.name}.yaml`;
      expect(validateFile(file, JSON.stringify(r)).problems, r.metadata.name).toEqual([]);
    }
  });

  it('refuse what zod refuses, for the rules a structural schema can state', () => {
    for (const [why, r] of INVALID) {
      const kind = (r as { kind: string }).kind;
      const validate = crdSchemaValidator(schemaOf(byKind(kind)));
      expect(validate(r), why).toBe(false);
    }
  });

  it('the structural converter refuses what it cannot express instead of guessing', () => {
    expect(() => toStructural({ $ref: '#/$defs/x' })).toThrow(StructuralSchemaError);
    expect(() => toStructural({ type: ['string', 'null'] })).toThrow(/one type/);
    expect(() =>
      toStructural(z.toJSONSchema(z.union([z.object({ a: z.string() }), z.object({ a: z.number() })]))),
    ).toThrow(/differently/);
    expect(() => toStructural(z.toJSONSchema(z.union([z.string(), z.number()])))).toThrow(
      /one type|different types/,
    );
    expect(toStructural(z.toJSONSchema(z.unknown()))).toEqual({
      'x-kubernetes-preserve-unknown-fields': true,
    });
    // A lookahead is not RE2: the pattern is dropped from the CRD (zod still enforces it).
    expect(toStructural(z.toJSONSchema(z.string().regex(/^(?!x)a$/)))).toEqual({ type: 'string' });
    // RE2 caps repeat counts at 1000: a long whole-string class becomes `+` and length bounds.
    expect(toStructural(z.toJSONSchema(z.string().regex(/^[a-z]{2,1224}$/)))).toEqual({
      type: 'string',
      pattern: '^[a-z]+$',
      minLength: 2,
      maxLength: 1224,
    });
    expect(toStructural(z.toJSONSchema(z.record(z.string(), z.number())))).toEqual({
      type: 'object',
      additionalProperties: { type: 'number' },
    });
  });
});
