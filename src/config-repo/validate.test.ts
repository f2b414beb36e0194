import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderInClusterApplication } from './argo.js';
import { generateIdentity, seal } from './sealing.js';
import { validateFile } from './validate.js';

let recipient = '';
let sealed: Awaited<ReturnType<typeof seal>>;
beforeAll(async () => {
  recipient = (await generateIdentity()).recipient;
  sealed = await seal('s3cr3t-value', [recipient]);
});

const runtime = (name = 'eu') => ({
  apiVersion: 'imagetrail.dev/v1alpha1',
  kind: 'Runtime',
  metadata: { name },
  spec: { type: 'hybrid', version: '0.1.30', recipient },
});
const roleIntegration = (name = 'prod-ecr', roleArn = 'arn:aws:iam::123456789012:role/ecr') => ({
  apiVersion: 'imagetrail.dev/v1alpha1',
  kind: 'Integration',
  metadata: { name },
  spec: { type: 'registry.ecr', ecr: { region: 'eu-west-1', auth: { mode: 'iamRole', roleArn } } },
});
const keyIntegration = (secret: unknown) => ({
  apiVersion: 'imagetrail.dev/v1alpha1',
  kind: 'Integration',
  metadata: { name: 'keys' },
  spec: {
    type: 'registry.ecr',
    ecr: {
      region: 'eu-west-1',
      auth: { mode: 'accessKey', accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: secret },
    },
  },
});

describe('validateFile', () => {
  it('treats a kind or apiVersion named like an Object.prototype member as unknown (found by the property test)', () => {
    const kind = validateFile('runtimes/eu/runtime.yaml', stringify({ ...runtime(), kind: 'valueOf' }));
    expect(kind.problems.map((p) => p.message).join(' ')).toMatch(/unknown kind valueOf/);
    const api = validateFile(
      'runtimes/eu/runtime.yaml',
      stringify({ ...runtime(), apiVersion: 'imagetrail.dev/constructor' }),
    );
    expect(api.problems.map((p) => p.message).join(' ')).not.toMatch(/cannot validate/);
  });

  it('accepts valid resources at their places', () => {
    expect(validateFile('runtimes/eu/runtime.yaml', stringify(runtime()))).toMatchObject({
      problems: [],
      resource: { kind: 'Runtime' },
    });
    expect(
      validateFile('resources/all-runtimes-all-clusters/prod-ecr.yaml', stringify(roleIntegration())),
    ).toMatchObject({
      problems: [],
      resource: { kind: 'Integration' },
    });
    expect(
      validateFile('resources/runtimes/eu/keys.yaml', stringify(keyIntegration(sealed))).problems,
    ).toEqual([]);
  });

  it('reports YAML syntax errors with line numbers', () => {
    const r = validateFile('runtimes/eu/runtime.yaml', 'apiVersion: x\nkind: [unclosed\nmetadata: {}\n');
    expect(r.resource).toBeUndefined();
    expect(r.problems[0]?.message).toMatch(/YAML syntax error at line \d+, column \d+/);
  });

  it('maps zod issues to dot paths', () => {
    const r = validateFile(
      'resources/all-runtimes-all-clusters/prod-ecr.yaml',
      stringify(roleIntegration('prod-ecr', 'not-an-arn')),
    );
    expect(r.resource).toBeUndefined();
    expect(r.problems).toEqual([
      expect.objectContaining({
        file: 'resources/all-runtimes-all-clusters/prod-ecr.yaml',
        path: 'spec.ecr.auth.roleArn',
        severity: 'error',
      }),
    ]);
  });

  it('says "secret stored in clear" for a plain string where a sealed value belongs', () => {
    const r = validateFile(
      'resources/runtimes/eu/keys.yaml',
      stringify(keyIntegration('wJalrXUtnFEMI/K7MDENG')),
    );
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ path: 'spec.ecr.auth.secretAccessKey', severity: 'error' });
    expect(r.problems[0]?.message).toMatch(/secret stored in clear/);
    expect(r.problems[0]?.message).not.toContain('wJalrXUtnFEMI');
  });

  it('names the supported kinds for an unknown kind', () => {
    const r = validateFile('runtimes/eu/runtime.yaml', stringify({ ...runtime(), kind: 'Cluster' }));
    expect(r.problems[0]).toMatchObject({ path: 'kind', severity: 'error' });
    expect(r.problems[0]?.message).toMatch(/Runtime, Integration, ControlPlane/);
  });

  it('checks the location of each kind and the name', () => {
    expect(
      validateFile('resources/all-runtimes-all-clusters/eu.yaml', stringify(runtime())).problems[0]?.message,
    ).toMatch(/runtimes\/<name>\/runtime.yaml/);
    expect(
      validateFile('runtimes/eu/prod-ecr.yaml', stringify(roleIntegration())).problems[0]?.message,
    ).toMatch(/resources\/all-runtimes-all-clusters/);
    expect(validateFile('runtimes/us/runtime.yaml', stringify(runtime('eu'))).problems[0]).toMatchObject({
      path: 'metadata.name',
    });
    expect(
      validateFile('resources/all-runtimes-all-clusters/other.yaml', stringify(roleIntegration()))
        .problems[0],
    ).toMatchObject({
      path: 'metadata.name',
    });
  });

  it('handles non-resource files sensibly', () => {
    expect(validateFile('README.md', '# hi')).toEqual({ problems: [] });
    const app = validateFile(
      'runtimes/eu/in-cluster.yaml',
      renderInClusterApplication({
        runtime: 'eu',
        location: { kind: 'remote', url: 'https://git.example/acme/cfg.git' },
        branch: 'main',
      }),
    );
    expect(app.problems).toEqual([]);
    expect(app.resource).toMatchObject({ kind: 'Application' });
    // A path on imagetrail's host cannot be cloned by Argo CD: config status says so.
    const local = validateFile(
      'runtimes/eu/in-cluster.yaml',
      renderInClusterApplication({ runtime: 'eu', location: { kind: 'local', path: '/x' }, branch: 'main' }),
    );
    expect(local.problems).toEqual([
      expect.objectContaining({
        path: 'spec.source.repoURL',
        severity: 'warning',
        message: expect.stringMatching(/Argo CD cannot reach.*Git URL/) as string,
      }),
    ]);
    expect(
      validateFile(
        'resources/control-planes/sealing-key.yaml',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: k}\n',
      ).problems,
    ).toEqual([]);
    expect(
      validateFile(
        'runtimes/eu/in-cluster.yaml',
        'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\nspec: {}\n',
      ).problems.length,
    ).toBeGreaterThan(0);
    expect(validateFile('runtimes/eu/runtime.yaml', '').problems[0]?.message).toMatch(/empty/);
    expect(validateFile('runtimes/eu/runtime.yaml', 'a: 1\n---\nb: 2\n').problems[0]?.message).toMatch(
      /one resource per file/,
    );
  });

  it('never throws, whatever the input', () => {
    for (const t of [
      '',
      '{',
      '- 1',
      '!!binary x',
      'a: &a [*a]',
      '\u0000',
      'apiVersion: 1\nkind: 2\nmetadata: 3',
    ]) {
      expect(() => validateFile('runtimes/eu/runtime.yaml', t)).not.toThrow();
    }
  });

  it('holds labels and annotations to the Kubernetes key and value rules', () => {
    const text =
      'apiVersion: imagetrail.dev/v1alpha1\nkind: Runtime\nmetadata:\n  name: eu\n  labels:\n' +
      '    __proto__: x\n    team: platform\n    example.com/tier: "has space"\n  annotations:\n' +
      '    "bad key": free text is fine here\n    example.com/owner: "Ana, on call"\n' +
      `spec: {type: hybrid, version: 0.1.30, recipient: ${recipient}}\n`;
    const r = validateFile('runtimes/eu/runtime.yaml', text);
    expect(r.resource).toBeUndefined();
    expect(r.problems.map((p) => p.path).sort()).toEqual([
      'metadata.annotations.bad key',
      'metadata.labels.__proto__',
      'metadata.labels.example.com/tier',
    ]);
    for (const p of r.problems) expect(p.message).toMatch(/letters, digits|__proto__ is not allowed/);
  });

  it('reports YAML alias problems in words, not as an exception', () => {
    const unresolved = validateFile('runtimes/eu/runtime.yaml', 'apiVersion: *nowhere\n');
    expect(unresolved.problems).toEqual([
      expect.objectContaining({ path: '', message: expect.stringMatching(/alias \*nowhere has no anchor/) }),
    ]);
    const loop = validateFile('runtimes/eu/runtime.yaml', 'metadata: &m {name: eu, self: *m}\n');
    expect(loop.problems).toEqual([expect.objectContaining({ message: expect.stringMatching(/a cycle/) })]);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const r = validateFile('runtimes/eu/runtime.yaml', bomb.join('\n') + '\n');
    expect(r.problems).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/aliases expand too much/) }),
    ]);
  });
});
