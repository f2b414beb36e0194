import { lstat, mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../domain/errors.js';
import { safeRelativePath } from './layout.js';
import type { ConfigTx } from './workspace.js';

/** The files a mutation touched, confined to the configuration root, and unusable once it ends. */
export class Transaction implements ConfigTx {
  private open = true;
  private readonly touched = new Set<string>();
  private readonly created = new Set<string>();
  private readonly readSet = new Set<string>();
  private readonly listedDirs = new Set<string>();

  constructor(private readonly root: string) {}

  close(): void {
    this.open = false;
  }

  changed(): string[] {
    return [...this.touched].sort();
  }

  createdFiles(): string[] {
    return [...this.created];
  }

  /** Whether a change to `rel` by someone else could change what this transaction did. */
  dependsOn(rel: string): boolean {
    if (this.touched.has(rel) || this.readSet.has(rel)) return true;
    for (const d of this.listedDirs) if (d === '' || rel.startsWith(`${d}/`)) return true;
    return false;
  }

  async read(rel: string): Promise<string | undefined> {
    const abs = await this.resolve(rel);
    this.readSet.add(safeRelativePath(rel));
    try {
      return await readFile(abs, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(rel: string, text: string): Promise<void> {
    const abs = await this.resolve(rel);
    const norm = safeRelativePath(rel);
    if (!(await exists(abs))) this.created.add(norm);
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, text, 'utf8');
    this.touched.add(norm);
  }

  async remove(rel: string): Promise<void> {
    const abs = await this.resolve(rel);
    const norm = safeRelativePath(rel);
    await rm(abs, { force: true });
    this.touched.add(norm);
    // Git does not keep empty folders; removing them keeps the tree equal to what a clone would show.
    let dir = path.dirname(abs);
    while (dir.startsWith(this.root + path.sep)) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
      dir = path.dirname(dir);
    }
  }

  async list(dir: string): Promise<string[]> {
    const abs = dir === '' || dir === '.' ? this.checkOpen(this.root) : await this.resolve(dir);
    this.listedDirs.add(dir === '' || dir === '.' ? '' : safeRelativePath(dir));
    try {
      return (await readdir(abs)).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
  }

  async exists(rel: string): Promise<boolean> {
    const abs = await this.resolve(rel);
    this.readSet.add(safeRelativePath(rel));
    return exists(abs);
  }

  private checkOpen<T>(v: T): T {
    if (!this.open) throw new InputError('the mutation has ended; its transaction can no longer be used');
    return v;
  }

  /** Refuses symlinks on the way, so a link committed into the repo cannot redirect a write outside it. */
  private async resolve(rel: string): Promise<string> {
    this.checkOpen(undefined);
    const norm = safeRelativePath(rel);
    let cur = this.root;
    for (const seg of norm.split('/')) {
      cur = path.join(cur, seg);
      try {
        if ((await lstat(cur)).isSymbolicLink()) {
          throw new InputError(`${norm}: symbolic links in the configuration repository are not followed`);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        throw err;
      }
    }
    return path.join(this.root, norm);
  }
}

export async function exists(abs: string): Promise<boolean> {
  try {
    await stat(abs);
    return true;
  } catch {
    return false;
  }
}
