import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { ROOT } from '../helpers/imagetrail.js';
import { freePort } from '../peers/free-port.js';
import { waitFor } from '../peers/process.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import {
  buildImage,
  IMAGE_UID,
  readImageConfig,
  UnpackedImage,
  type BuiltImage,
  type ImageConfig,
} from './oci-run.js';

// The container image (Dockerfile, built by scripts/build-image.sh without a Docker engine) builds, runs
// under the confinement deploy/kustomize asks of Kubernetes, serves, and is read back from a registry by
// `imagetrail inspect` running inside the image itself.

const run = promisify(execFile);
const VERSION = z
  .object({ version: z.string() })
  .parse(JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))).version;
const TAG = `${VERSION}-test`;
// From scratch the build downloads Debian and npm packages: minutes, more on a busy machine.
const BUILD_TIMEOUT_MS = 45 * 60_000;

let image: BuiltImage;
let config: ImageConfig;
let unpacked: UnpackedImage;
let headAtBuild: string;

beforeAll(async () => {
  headAtBuild = (await run('git', ['-C', ROOT, 'rev-parse', 'HEAD'])).stdout.trim();
  image = await buildImage(join(ROOT, '.build', 'image'), TAG, headAtBuild);
  console.log(`image: built ${image.digest} in ${image.seconds}s`);
  config = await readImageConfig(image);
  unpacked = await UnpackedImage.unpack(image);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await unpacked?.remove();
});

describe('the image config', () => {
  it('runs imagetrail under tini as user 10001, with one volume for its data', () => {
    expect(config.config.User).toBe(`${IMAGE_UID}:${IMAGE_UID}`);
    expect(config.config.Entrypoint).toEqual(['/usr/bin/tini', '--', 'imagetrail']);
    expect(config.config.Cmd).toEqual(['serve']);
    expect(Object.keys(config.config.Volumes ?? {})).toEqual(['/var/lib/imagetrail']);
    expect(config.config.Env).toEqual(
      expect.arrayContaining(['IMAGETRAIL_DATA_DIR=/var/lib/imagetrail', 'HOME=/var/lib/imagetrail']),
    );
    expect(Object.keys(config.config.ExposedPorts ?? {})).toEqual(['8080/tcp']);
  });

  it('is labelled with the version and the commit it was built from', () => {
    expect(config.config.Labels).toMatchObject({
      'org.opencontainers.image.version': VERSION,
      'org.opencontainers.image.revision': headAtBuild,
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
  });
});

describe('the image runs read-only, as 10001, without capabilities', () => {
  it('prints its version', async () => {
    const r = await unpacked.exec(['--version'], { volume: await unpacked.volume() });
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('cannot write outside the data volume and /tmp, and says so', async () => {
    // A data directory off the volume: the root filesystem refuses the write, so serve cannot start.
    const denied = await unpacked.exec(['serve', '--port', String(await freePort())], {
      volume: await unpacked.volume(),
      env: { IMAGETRAIL_DATA_DIR: '/opt/imagetrail/data' },
    });
    // Told what to fix (exit 2, bad input), not "internal error".
    expect(denied.code, denied.stderr).toBe(2);
    expect(denied.stderr).toContain('cannot create the data directory /opt/imagetrail/data');
    expect(denied.stderr).toContain('mount a volume there');
  });

  describe.each(['sqlite', 'postgres'] as const)('serve on %s', (engine) => {
    let db: TestDatabase | undefined;
    afterAll(async () => {
      await db?.destroy();
    });

    it('answers /livez, /readyz and /healthz, keeps its data on the volume, and stops on SIGTERM', async () => {
      const volume = await unpacked.volume();
      const port = await freePort();
      const env: Record<string, string> = { IMAGETRAIL_PORT: String(port) };
      if (engine === 'postgres') {
        db = await createTestDatabase('postgres', { migrate: false });
        env['IMAGETRAIL_DATABASE'] = db.url;
      }
      const server = await unpacked.start(['serve', '--host', '127.0.0.1'], { volume, env });
      try {
        const url = `http://127.0.0.1:${port}`;
        await waitFor('imagetrail serve in the image', async () => (await fetch(`${url}/readyz`)).ok, {
          timeoutMs: 60_000,
          peer: server.process,
        });
        expect((await fetch(`${url}/livez`)).status).toBe(200);
        const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
        expect(health).toMatchObject({ status: 'ok', version: VERSION });
        // The shared state lands on the volume, owned by the image's user; SQLite only on sqlite.
        const token = await stat(join(volume, 'admin-token'));
        expect({ uid: token.uid, mode: token.mode & 0o777 }).toEqual({ uid: IMAGE_UID, mode: 0o600 });
        const sqlite = await stat(join(volume, 'imagetrail.db')).then(
          () => true,
          () => false,
        );
        expect(sqlite).toBe(engine === 'sqlite');
      } finally {
        await server.stop();
      }
      expect(server.process.output()).not.toMatch(/EROFS|read-only file system/i);
    });
  });
});

describe('pushed to a registry with skopeo', () => {
  let registry: RegistryPeer;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), 'imagetrail-push-'));
  });
  afterAll(async () => {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('is inspected by imagetrail inspect running in the image itself', async () => {
    const host = `127.0.0.1:${registry.port}`;
    const creds = `${registry.username}:${registry.password}`;
    // An auth file, not --dest-creds: no password in argv, even a test registry's.
    const authfile = join(dir, 'auth.json');
    await writeFile(
      authfile,
      JSON.stringify({ auths: { [host]: { auth: Buffer.from(creds).toString('base64') } } }),
    );
    await run('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      '--dest-authfile',
      authfile,
      `oci:${image.layout}:${image.tag}`,
      `docker://${host}/imagetrail:${image.tag}`,
    ]);
    const r = await unpacked.exec(['inspect', `${host}/imagetrail:${image.tag}`, '--creds-stdin', '--json'], {
      volume: await unpacked.volume(),
      stdin: creds,
    });
    expect(r.code, r.stderr).toBe(0);
    const facts = z
      .looseObject({
        digest: z.string(),
        mediaType: z.string(),
        tags: z.array(z.string()),
        platforms: z.array(z.looseObject({ os: z.string(), architecture: z.string() })),
        layers: z.array(z.unknown()),
      })
      .parse(JSON.parse(r.stdout));
    // The digest the build printed, unchanged by the push; skopeo agrees independently.
    expect(facts.digest).toBe(image.digest);
    const { stdout } = await run('skopeo', [
      'inspect',
      '--tls-verify=false',
      '--authfile',
      authfile,
      `docker://${host}/imagetrail:${image.tag}`,
    ]);
    const seen = z
      .object({ Digest: z.string(), Layers: z.array(z.string()), Labels: z.record(z.string(), z.string()) })
      .parse(JSON.parse(stdout));
    expect(seen.Digest).toBe(image.digest);
    expect(facts).toMatchObject({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      tags: [image.tag],
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    });
    expect(facts.layers).toHaveLength(seen.Layers.length);
    expect(seen.Labels['org.opencontainers.image.version']).toBe(VERSION);
  });
});
