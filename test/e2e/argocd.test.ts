import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, matchesGlob, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { addEcrKeyIntegration, cli, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import {
  assertArgoApplication,
  assertCustomResourceDefinition,
  crdSchemaValidator,
  structuralViolations,
} from '../helpers/kubernetes-schemas.js';

// The first hour with Argo CD: `imagetrail serve` on an empty bare remote whose HEAD is master, a runtime
// and one integration of every type added with the CLI. Then a plain `git clone`, as Argo CD's
// repo-server or a person makes it, and every manifest checked against the upstream schemas: Kubernetes'
// CustomResourceDefinition, Argo CD's Application, and each imagetrail resource against its CRD's schema.

const exec = promisify(execFile);
type Manifest = { file: string; doc: Record<string, any> };

let tmp: string;
let bare: string;
let server: ServerHandle;

async function yamlFiles(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name === '.git') continue;
    const abs = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(abs, root)));
    else if (e.name.endsWith('.yaml')) out.push(relative(root, abs));
  }
  return out.sort();
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'imagetrail-argocd-'));
  bare = join(tmp, 'isc.git');
  await exec('git', ['init', '--quiet', '--bare', '-b', 'master', bare]);
  server = await startImagetrail({ configRepo: bare });
});

afterAll(async () => {
  await server?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('Argo CD can sync what imagetrail writes', () => {
  it('a plain clone holds CRDs for every kind it syncs, and every manifest passes the upstream schemas', async () => {
    // The first start lands the CRDs with the control plane and the local runtime, in one commit.
    const history = (await exec('git', ['log', '--format=%s', 'main'], { cwd: bare })).stdout
      .trim()
      .split('\n');
    expect(history).toHaveLength(2);
    expect(history[0]).toMatch(/^runtime: register control plane and in-process runtime local /);
    const first = (await exec('git', ['ls-tree', '-r', '--name-only', 'main'], { cwd: bare })).stdout;
    expect(first).toContain('resources/crds/integrations.imagetrail.dev.yaml');

    const gh = ['integration', 'add', 'github', 'gh', '--api-url', 'https://ghe.example/api/v3'];
    const jira = ['integration', 'add', 'jira', 'tickets', '--base-url', 'https://acme.atlassian.net'];
    const role = ['--role-arn', 'arn:aws:iam::123456789012:role/reader'];
    const steps: Array<[string[], string?]> = [
      [['runtime', 'add', 'eu', '--type', 'hybrid', '--version', '0.2.0']],
      [[...gh, '--token-stdin', '--all-runtimes', '--skip-test'], 'ghp_e2eArgoToken0001'],
      [
        [...jira, '--email', 'bot@example.com', '--api-token-stdin', '--runtime', 'eu', '--skip-test'],
        'jira-tok',
      ],
      [
        [
          'integration',
          'add',
          'ecr',
          'ecr-role',
          '--region',
          'eu-west-1',
          ...role,
          '--runtime',
          'eu',
          '--skip-test',
        ],
      ],
    ];
    for (const [args, stdin] of steps) {
      const r = await cli(server, args, stdin ? { stdin } : {});
      expect(r.code, r.stderr).toBe(0);
    }
    const key = await addEcrKeyIntegration(
      server,
      'ecr-key',
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      ['--skip-test'],
    );
    expect(key.code, key.stderr).toBe(0);

    const clone = join(tmp, 'clone');
    const { stderr } = await exec('git', ['clone', bare, clone]);
    expect(stderr).not.toMatch(/nonexistent ref|unable to checkout/);
    const manifests: Manifest[] = [];
    for (const file of await yamlFiles(clone)) {
      manifests.push({ file, doc: parse(await readFile(join(clone, file), 'utf8')) as Record<string, any> });
    }

    const crds = manifests.filter((m) => m.doc['kind'] === 'CustomResourceDefinition');
    expect(crds.map((m) => m.doc['spec'].names.kind).sort()).toEqual([
      'ControlPlane',
      'Integration',
      'Runtime',
    ]);
    const schemaFor = new Map<string, Record<string, unknown>>();
    for (const m of crds) {
      assertCustomResourceDefinition(m.doc);
      const schema = m.doc['spec'].versions[0].schema.openAPIV3Schema;
      expect(structuralViolations(schema), m.file).toEqual([]);
      schemaFor.set(
        `${m.doc['spec'].group}/${m.doc['spec'].versions[0].name} ${m.doc['spec'].names.kind}`,
        schema,
      );
    }

    const own = manifests.filter((m) => String(m.doc['apiVersion']).startsWith('imagetrail.dev/'));
    expect(own.map((m) => m.file)).toEqual([
      'resources/all-runtimes-all-clusters/ecr-key.yaml',
      'resources/all-runtimes-all-clusters/gh.yaml',
      'resources/control-planes/control-plane.yaml',
      'resources/runtimes/eu/ecr-role.yaml',
      'resources/runtimes/eu/tickets.yaml',
      'runtimes/eu/runtime.yaml',
      'runtimes/local/runtime.yaml',
    ]);
    for (const m of own) {
      const schema = schemaFor.get(`${m.doc['apiVersion']} ${m.doc['kind']}`);
      expect(schema, m.file).toBeDefined();
      const validate = crdSchemaValidator(schema!, { strict: true });
      expect(validate(m.doc), `${m.file}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }

    const apps = manifests.filter((m) => m.doc['kind'] === 'Application');
    expect(apps.map((m) => m.file)).toEqual([
      'runtimes/eu/in-cluster.yaml',
      'runtimes/local/in-cluster.yaml',
    ]);
    for (const app of apps) {
      assertArgoApplication(app.doc);
      const spec = app.doc['spec'];
      expect(spec.source.targetRevision).toBe('main');
      expect(spec.syncPolicy.syncOptions).toEqual([
        'CreateNamespace=true',
        'SkipDryRunOnMissingResource=true',
      ]);
      // A bare repository on imagetrail's disk: the Application says so instead of pretending.
      expect(spec.source.repoURL).toBe(bare);
      expect(app.doc['metadata'].annotations['imagetrail.dev/repo-url-note']).toMatch(/Git URL/);

      // What Argo CD would apply: every selected imagetrail resource has its CRD in the same sync, applied
      // in an earlier wave.
      const selected = manifests.filter((m) => {
        const rel = relative(spec.source.path, m.file);
        return !rel.startsWith('..') && matchesGlob(rel, spec.source.directory.include);
      });
      const kinds = new Set(
        selected.filter((m) => m.doc['kind'] !== 'CustomResourceDefinition').map((m) => m.doc['kind']),
      );
      const crdKinds = new Set(
        selected
          .filter((m) => m.doc['kind'] === 'CustomResourceDefinition')
          .map((m) => m.doc['spec'].names.kind),
      );
      expect(kinds.size).toBeGreaterThan(0);
      for (const k of kinds) expect(crdKinds.has(k), `${app.file} applies ${String(k)}`).toBe(true);
      for (const m of selected) {
        const wave = Number(m.doc['metadata'].annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
        expect(wave).toBe(m.doc['kind'] === 'CustomResourceDefinition' ? -1 : 0);
      }
    }

    // And `config status` tells the operator what Argo CD would need.
    const status = await cli(server, ['config', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const problems = JSON.parse(status.stdout).problems as Array<{
      file: string;
      path: string;
      severity: string;
    }>;
    expect(problems).toContainEqual(
      expect.objectContaining({
        file: 'runtimes/eu/in-cluster.yaml',
        path: 'spec.source.repoURL',
        severity: 'warning',
      }),
    );
  }, 180_000);
});
