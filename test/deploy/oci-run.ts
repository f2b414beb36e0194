import { execFile, spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as z from 'zod';
import { ROOT } from '../helpers/imagetrail.js';
import { spawnPeer, type PeerProcess } from '../peers/process.js';

// Builds the image with scripts/build-image.sh and runs it with runc, confined the way deploy/kustomize
// runs it on Kubernetes: the image's own user (10001), read-only root filesystem, every capability
// dropped, no new privileges, the data volume and an empty /tmp as the only writable places. The host's
// network is shared, so a server in the container is reached on 127.0.0.1 (there is no CNI here).
// runc, not crun: crun 1.8 refuses this machine's hybrid cgroup layout.

const run = promisify(execFile);

export const IMAGE_UID = 10001;

/** The parts of an OCI image config the tests read (image-spec config.md). */
export const ImageConfig = z.object({
  config: z.object({
    User: z.string().optional(),
    Entrypoint: z.array(z.string()).optional(),
    Cmd: z.array(z.string()).optional(),
    Env: z.array(z.string()).optional(),
    WorkingDir: z.string().optional(),
    Volumes: z.record(z.string(), z.unknown()).optional(),
    ExposedPorts: z.record(z.string(), z.unknown()).optional(),
    Labels: z.record(z.string(), z.string()).optional(),
  }),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

const Index = z.object({
  manifests: z.array(
    z.object({ digest: z.string(), annotations: z.record(z.string(), z.string()).optional() }),
  ),
});
const Manifest = z.object({ config: z.object({ digest: z.string() }) });
const RuntimeSpec = z.looseObject({
  process: z.looseObject({ args: z.array(z.string()), env: z.array(z.string()) }),
  root: z.looseObject({ path: z.string() }),
  linux: z.looseObject({ namespaces: z.array(z.looseObject({ type: z.string() })) }),
  mounts: z.array(z.looseObject({ destination: z.string() })),
});

export interface BuiltImage {
  /** The OCI image layout directory. */
  layout: string;
  tag: string;
  /** The manifest digest build-image.sh printed. */
  digest: string;
  /** Seconds the build took (all caches as they were). */
  seconds: number;
}

/** Runs scripts/build-image.sh into `layout` (its caches make a repeat build cheap). */
export async function buildImage(layout: string, tag: string, revision: string): Promise<BuiltImage> {
  const started = Date.now();
  const { stdout } = await run(
    join(ROOT, 'scripts', 'build-image.sh'),
    ['--output', layout, '--tag', tag, '--revision', revision],
    {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
    },
  ).catch((err: unknown) => {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/build-image.sh failed: ${e.message}\n${e.stderr ?? ''}`);
  });
  const digest = stdout.trim().split('\n').at(-1) ?? '';
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`build-image.sh printed no digest: ${stdout}`);
  return { layout, tag, digest, seconds: Math.round((Date.now() - started) / 1000) };
}

const blob = (layout: string, digest: string) => join(layout, 'blobs', ...digest.split(':'));

/** The image config of `tag` in the layout, read straight from its blobs. */
export async function readImageConfig(image: BuiltImage): Promise<ImageConfig> {
  const index = Index.parse(JSON.parse(await readFile(join(image.layout, 'index.json'), 'utf8')));
  const entry = index.manifests.find(
    (m) => m.annotations?.['org.opencontainers.image.ref.name'] === image.tag,
  );
  if (!entry) throw new Error(`no ${image.tag} in ${image.layout}/index.json`);
  const manifest = Manifest.parse(JSON.parse(await readFile(blob(image.layout, entry.digest), 'utf8')));
  return ImageConfig.parse(JSON.parse(await readFile(blob(image.layout, manifest.config.digest), 'utf8')));
}

export interface RunOptions {
  /** The host directory mounted at /var/lib/imagetrail (see volume()). */
  volume: string;
  env?: Record<string, string>;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Container {
  id: string;
  process: PeerProcess;
  /** Ends the container and removes it from runc's state. */
  stop(): Promise<void>;
}

/** An unpacked image: one read-only rootfs shared by every container started from it. */
export class UnpackedImage {
  private seq = 0;
  private constructor(
    private readonly dir: string,
    private readonly spec: z.infer<typeof RuntimeSpec>,
  ) {}

  static async unpack(image: BuiltImage): Promise<UnpackedImage> {
    const dir = await mkdtemp(join(tmpdir(), 'imagetrail-oci-'));
    await run('umoci', ['unpack', '--image', `${image.layout}:${image.tag}`, join(dir, 'bundle')], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const spec = RuntimeSpec.parse(JSON.parse(await readFile(join(dir, 'bundle', 'config.json'), 'utf8')));
    return new UnpackedImage(dir, spec);
  }

  /** A fresh data volume, owned by the image's user (as an fsGroup'd volume on Kubernetes is). */
  async volume(): Promise<string> {
    const path = join(this.dir, `volume-${++this.seq}`);
    await mkdir(path, { mode: 0o700 });
    await chown(path, IMAGE_UID, IMAGE_UID);
    return path;
  }

  /** Writes the runtime bundle of one container; returns its id and bundle directory. */
  private async bundle(args: string[], opts: RunOptions): Promise<{ id: string; bundle: string }> {
    const id = `imagetrail-test-${process.pid}-${++this.seq}`;
    const bundle = join(this.dir, id);
    await mkdir(bundle);
    const entrypoint = this.spec.process.args.slice(0, this.spec.process.args.indexOf('imagetrail') + 1);
    const spec = {
      ...this.spec,
      process: {
        ...this.spec.process,
        terminal: false,
        args: [...entrypoint, ...args],
        env: [...this.spec.process.env, ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)],
        capabilities: {},
        noNewPrivileges: true,
      },
      root: { path: join(this.dir, 'bundle', 'rootfs'), readonly: true },
      linux: {
        ...this.spec.linux,
        resources: undefined,
        namespaces: this.spec.linux.namespaces.filter((n) => n.type !== 'network'),
      },
      mounts: [
        ...this.spec.mounts.filter((m) => m.destination !== '/var/lib/imagetrail'),
        { destination: '/var/lib/imagetrail', type: 'bind', source: opts.volume, options: ['rbind', 'rw'] },
        { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
        // The host's resolver: the network namespace is the host's too.
        {
          destination: '/etc/resolv.conf',
          type: 'bind',
          source: '/etc/resolv.conf',
          options: ['rbind', 'ro'],
        },
      ],
    };
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    return { id, bundle };
  }

  /**
   * Starts the image's entrypoint with `args` (what Kubernetes' `args:` would be) and extra environment,
   * confined as described at the top of this file; stop() ends it (runc passes SIGTERM on to tini).
   */
  async start(args: string[], opts: RunOptions): Promise<Container> {
    const { id, bundle } = await this.bundle(args, opts);
    const proc = spawnPeer('runc', ['run', '--bundle', bundle, id]);
    return {
      id,
      process: proc,
      async stop() {
        await proc.stop();
        await run('runc', ['delete', '--force', id]).catch(() => undefined);
      },
    };
  }

  /** Runs to completion, with `stdin` as its standard input. */
  async exec(args: string[], opts: RunOptions & { stdin?: string }): Promise<ExecResult> {
    const { id, bundle } = await this.bundle(args, opts);
    const child = spawn('runc', ['run', '--bundle', bundle, id], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdin.end(opts.stdin ?? '');
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (n) => resolve(n ?? -1));
    });
    await run('runc', ['delete', '--force', id]).catch(() => undefined);
    return { code, stdout, stderr };
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
