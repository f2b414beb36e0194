import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLUSTER_MANIFESTS_MESSAGE, ensureClusterManifests } from '../src/config-repo/cluster-manifests.js';
import { crdFiles } from '../src/config-repo/crds/crds.js';
import { Git } from '../src/config-repo/git.js';
import { parseConfigRepoLocation } from '../src/config-repo/location.js';
import { ConfigRepo } from '../src/config-repo/workspace.js';
import { assertArgoApplication } from './helpers/kubernetes-schemas.js';

// What Argo CD and people get from the configuration remote: real bare Git remotes, real clones.

const git = new Git({ timeoutMs: 30_000 });
let tmp = '';
const opened: ConfigRepo[] = [];
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'imagetrail-argo-'));
});
afterEach(async () => {
  for (const r of opened.splice(0)) await r.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function open(location: string): Promise<ConfigRepo> {
  const repo = await ConfigRepo.open({
    location: parseConfigRepoLocation(location),
    workDir: path.join(tmp, `work-${opened.length}`),
    git,
  });
  opened.push(repo);
  return repo;
}

/** An empty bare remote as `git init --bare` makes it on a host whose default branch is master. */
async function emptyMasterRemote(): Promise<string> {
  const bare = path.join(tmp, 'remote.git');
  await git.run(['init', '--quiet', '--bare', '-b', 'master', bare]);
  return bare;
}

/** What a person or Argo CD sees: a plain `git clone` with no branch named. */
async function plainClone(url: string): Promise<{ dir: string; stderr: string }> {
  const dir = path.join(tmp, `clone-${Math.random().toString(36).slice(2)}`);
  const r = await git.run(['clone', url, dir]);
  return { dir, stderr: r.stderr };
}

const runtimeYaml = (name: string) =>
  stringify({
    apiVersion: 'imagetrail.dev/v1alpha1',
    kind: 'Runtime',
    metadata: { name },
    spec: { type: 'hybrid', version: '0.2.0', recipient: `age1${'q'.repeat(58)}` },
  });

describe('the configuration remote as Argo CD and a plain git clone see it', () => {
  it('a plain git clone of the config remote shows the resources (remote HEAD master, imagetrail pushes main)', async () => {
    const bare = await emptyMasterRemote();
    const repo = await open(bare);
    await repo.mutate('runtime: add eu', async (tx) =>
      tx.write('runtimes/eu/runtime.yaml', runtimeYaml('eu')),
    );
    const commit = await ensureClusterManifests(repo);
    expect(commit).toMatch(/^[0-9a-f]{40}$/);

    expect((await git.run(['symbolic-ref', 'HEAD'], { cwd: bare })).stdout.trim()).toBe('refs/heads/main');
    const { dir, stderr } = await plainClone(bare);
    expect(stderr).not.toMatch(/nonexistent ref|unable to checkout/);
    expect(await git.currentBranch(dir)).toBe('main');
    expect((await readdir(path.join(dir, 'resources', 'crds'))).sort()).toEqual(
      crdFiles()
        .map((f) => f.file)
        .sort(),
    );
    const app = parse(await readFile(path.join(dir, 'runtimes', 'eu', 'in-cluster.yaml'), 'utf8'));
    assertArgoApplication(app);
    expect(app.spec.source).toMatchObject({ repoURL: bare, targetRevision: 'main', path: 'resources' });
    expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');

    // All of it landed as one commit, and a second run finds nothing to do.
    expect((await git.run(['log', '-1', '--format=%s', 'main'], { cwd: bare })).stdout.trim()).toBe(
      CLUSTER_MANIFESTS_MESSAGE,
    );
    expect(await ensureClusterManifests(repo)).toBeNull();
  });

  it('also over file://, and leaves a remote HEAD that someone pointed at an existing branch alone', async () => {
    const bare = await emptyMasterRemote();
    const first = await open(`file://${bare}`);
    expect(first.snapshot().commit).not.toBeNull();
    expect((await git.run(['symbolic-ref', 'HEAD'], { cwd: bare })).stdout.trim()).toBe('refs/heads/main');

    await git.run(['branch', 'release', 'main'], { cwd: bare });
    await git.run(['symbolic-ref', 'HEAD', 'refs/heads/release'], { cwd: bare });
    await open(`${bare}?ref=main`);
    expect((await git.run(['symbolic-ref', 'HEAD'], { cwd: bare })).stdout.trim()).toBe('refs/heads/release');
  });

  it('rewrites an outdated CRD and upgrades an older in-cluster.yaml, keeping what a person changed', async () => {
    const bare = await emptyMasterRemote();
    const repo = await open(bare);
    const legacy = `# pointed at our Git server by hand
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: eu-in-cluster
  labels:
    imagetrail.dev/entity: internal-config
    imagetrail.dev/runtime: eu
spec:
  project: default
  source:
    repoURL: https://git.example/acme/cfg.git
    targetRevision: HEAD
    path: resources
    directory:
      recurse: true
      include: "{all-runtimes-all-clusters/*.yaml,all-runtimes-all-clusters/**/*.yaml,runtimes/eu/*.yaml,runtimes/eu/**/*.yaml,control-planes/*.yaml,control-planes/**/*.yaml}"
  destination:
    server: https://kubernetes.default.svc
    namespace: eu
  syncPolicy:
    automated: { prune: true, selfHeal: true, allowEmpty: true }
    syncOptions: [CreateNamespace=false]
`;
    const crd = crdFiles()[0]!;
    await repo.mutate('older imagetrail', async (tx) => {
      await tx.write('runtimes/eu/runtime.yaml', runtimeYaml('eu'));
      await tx.write('runtimes/eu/in-cluster.yaml', legacy);
      await tx.write(`resources/crds/${crd.file}`, crd.text.replace('maxLength: 500', 'maxLength: 5'));
    });
    expect(await ensureClusterManifests(repo)).not.toBeNull();

    const text = await readFile(path.join(repo.root, 'runtimes/eu/in-cluster.yaml'), 'utf8');
    expect(text).toContain('# pointed at our Git server by hand');
    const app = parse(text);
    assertArgoApplication(app);
    expect(app.spec.source.repoURL).toBe('https://git.example/acme/cfg.git');
    expect(app.spec.source.targetRevision).toBe('main');
    expect(app.spec.source.directory.include).toMatch(/^\{crds\/\*\.yaml,/);
    // Set either way by a person: kept. Missing: added.
    expect(app.spec.syncPolicy.syncOptions).toEqual([
      'CreateNamespace=false',
      'SkipDryRunOnMissingResource=true',
    ]);
    expect(app.metadata.annotations).toBeUndefined();
    expect(await readFile(path.join(repo.root, `resources/crds/${crd.file}`), 'utf8')).toBe(crd.text);
    expect(existsSync(path.join(repo.root, 'resources/crds'))).toBe(true);
    expect(repo.snapshot().problems).toEqual([]);
  });
});
