import { mkdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { generateIdentity, recipientOf } from './sealing.js';

export interface KeyPair {
  identity: string;
  recipient: string;
}

/**
 * Private age identities live in the data directory (mode 0600), never in Git: the control plane's own,
 * and those of runtimes that run in this process or whose key this control plane generated. Identities
 * given from outside (`shared`: replicas' `--identity-file`, `--local-runtime-identity-file`) win over the
 * data directory and are never generated.
 */
export class KeyStore {
  constructor(
    private readonly dataDir: string,
    private readonly shared: ReadonlyMap<string, KeyPair> = new Map(),
  ) {}

  private path(owner: string): string {
    return owner === 'control-plane'
      ? join(this.dataDir, 'keys', 'control-plane.agekey')
      : join(this.dataDir, 'keys', 'runtimes', `${owner}.agekey`);
  }

  /** The runtime's key file path, to tell an operator where to pick it up. */
  runtimeKeyPath(runtime: string): string {
    return this.path(runtime);
  }

  async get(owner: string): Promise<KeyPair | undefined> {
    const given = this.shared.get(owner);
    if (given) return given;
    try {
      const text = await readFile(this.path(owner), 'utf8');
      const identity = text
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l.startsWith('AGE-SECRET-KEY-'));
      if (!identity) return undefined;
      return { identity, recipient: await recipientOf(identity) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Deletes the data directory's key of `owner` unless it is the key of `recipient`: a runtime whose agent
   * registered its own key leaves the one this control plane generated for it at `runtime add` unused,
   * and a private key nobody uses should not stay on disk. Keys given from outside are never touched.
   */
  async retire(owner: string, recipient: string): Promise<boolean> {
    if (owner === 'control-plane' || this.shared.has(owner)) return false;
    const held = await this.get(owner);
    if (!held || held.recipient === recipient) return false;
    await rm(this.path(owner), { force: true });
    return true;
  }

  async getOrCreate(owner: string): Promise<KeyPair> {
    const existing = await this.get(owner);
    if (existing) return existing;
    const pair = await generateIdentity();
    const file = this.path(owner);
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    await writeFile(
      file,
      `# imagetrail age identity for ${owner}; public key: ${pair.recipient}\n${pair.identity}\n`,
      {
        mode: 0o600,
        flag: 'wx',
      },
    );
    await chmod(file, 0o600);
    return pair;
  }
}
