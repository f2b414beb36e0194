import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { seal } from '../../src/config-repo/sealing.js';
import { KeyStore } from '../../src/config-repo/keys.js';
import { openDatabase } from '../../src/store/database.js';
import { SqlAuditStore } from '../../src/store/sql-audit-store.js';
import { RUNTIME_VERSION } from '../../src/version.js';
import { api, startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote, git, personClone } from '../helpers/git.js';

// Upgrading a deployment whose secrets were sealed before bindings existed: the first start of this version
// re-seals them bound to where they are, in exactly one commit, and pins the recipients it finds (trust on
// first use, audited). After that, an unbound value (e.g. restored from Git history) is refused.

const exec = promisify(execFile);
const TOKEN = 'ghp_migrationDistinctiveToken000001';
const GH = 'resources/all-runtimes-all-clusters/gh.yaml';
const API_VERSION = 'imagetrail.dev/v1alpha1';

let remote: Awaited<ReturnType<typeof bareRemote>>;
let person: Awaited<ReturnType<typeof personClone>>;
let dataDir: string;
let server: ServerHandle | undefined;
let legacyText: string;

async function commits(): Promise<string[]> {
  return (await git(remote.path, 'log', '--format=%s', 'main')).trim().split('\n');
}

beforeAll(async () => {
  remote = await bareRemote();
  dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-migrate-'));
  const keys = new KeyStore(dataDir);
  const cp = await keys.getOrCreate('control-plane');
  const local = await keys.getOrCreate('local');
  const hosted = await keys.getOrCreate('hosted-one'); // a runtime whose key lives elsewhere in real life
  person = await personClone(remote.url);
  const doc = (kind: string, name: string, spec: unknown) =>
    stringify({ apiVersion: API_VERSION, kind, metadata: { name }, spec });
  await person.write(
    'resources/control-planes/control-plane.yaml',
    doc('ControlPlane', 'control-plane', { recipient: cp.recipient }),
  );
  await person.write(
    'runtimes/local/runtime.yaml',
    doc('Runtime', 'local', {
      type: 'hybrid',
      version: RUNTIME_VERSION,
      recipient: local.recipient,
      description: 'runs in-process in imagetrail serve',
    }),
  );
  await person.write(
    'runtimes/hosted-one/runtime.yaml',
    doc('Runtime', 'hosted-one', { type: 'hosted', version: '0.2.0', recipient: hosted.recipient }),
  );
  // The old format: the bare token sealed for the recipients, no binding.
  legacyText = doc('Integration', 'gh', {
    type: 'git.github',
    github: {
      apiUrl: 'http://127.0.0.1:9/api/v3',
      token: await seal(TOKEN, [cp.recipient, local.recipient, hosted.recipient]),
    },
  });
  await person.write(GH, legacyText);
  await person.commitAndPush('written by the previous version');
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await person?.cleanup();
  await remote?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('migration of unbound sealed values', () => {
  it('first start: exactly one commit re-seals them bound; pins are recorded in the audit trail', async () => {
    const before = await commits();
    server = await startImagetrail({ configRepo: remote.url, dataDir });
    const after = await commits();
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toContain('re-seal secrets bound');

    await person.pull();
    const sealed = parse(await person.read(GH)).spec.github.token.sealed as string;
    const file = join(dataDir, 'gh.age');
    await writeFile(file, sealed);
    const { stdout } = await exec('age', [
      '-d',
      '-i',
      join(dataDir, 'keys', 'runtimes', 'local.agekey'),
      file,
    ]);
    expect(JSON.parse(stdout)).toEqual({
      v: 1,
      binding: {
        kind: 'Integration',
        type: 'git.github',
        name: 'gh',
        field: 'spec.github.token',
        destinations: { apiUrl: 'http://127.0.0.1:9/api/v3' },
      },
      value: TOKEN,
    });
    const status = await api(server, 'GET', '/api/v1/config');
    expect(status.json.problems.filter((p: { severity: string }) => p.severity === 'error')).toEqual([]);

    const store = openDatabase(`sqlite:${join(dataDir, 'imagetrail.db')}`);
    const events = await new SqlAuditStore({ db: store.db }).list();
    await store.close();
    const pins = events.filter((e) => e.action === 'recipient.pin');
    expect(pins.map((e) => [e.target, e.detail['source']])).toEqual(
      expect.arrayContaining([
        ['control-plane', 'bootstrap'],
        ['runtime/local', 'bootstrap'],
        ['runtime/hosted-one', 'trust-on-first-use'],
      ]),
    );
  });

  it('a restart makes no further commit', async () => {
    const before = await commits();
    await server!.stop();
    server = await startImagetrail({ configRepo: remote.url, dataDir });
    expect(await commits()).toEqual(before);
  });

  it('after the migration, an unbound value pushed from history is refused', async () => {
    await person.pull();
    await person.write(GH, legacyText);
    await person.commitAndPush('restore the old sealed token from history');
    const r = await api(server!, 'POST', '/api/v1/config/sync');
    expect(r.json.problems).toContainEqual(
      expect.objectContaining({ file: GH, path: 'spec.github.token', severity: 'error' }),
    );
    expect(JSON.stringify(r.json)).toContain('old unbound form');
  });
});
