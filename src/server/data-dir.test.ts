import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../domain/errors.js';
import { makeDataDir } from './data-dir.js';

describe('makeDataDir', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imagetrail-data-dir-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the directory, and its parents, private to the user', async () => {
    const target = join(dir, 'a', 'b');
    await makeDataDir(target);
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    await makeDataDir(target);
  });

  it('says which directory cannot be made and what to do, as an input error', async () => {
    await writeFile(join(dir, 'file'), '');
    const err = await makeDataDir(join(dir, 'file', 'data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(
      `cannot create the data directory ${join(dir, 'file', 'data')} (ENOTDIR)`,
    );
    expect((err as InputError).hints.join('\n')).toMatch(/IMAGETRAIL_DATA_DIR[\s\S]*mount a volume/);
  });
});
