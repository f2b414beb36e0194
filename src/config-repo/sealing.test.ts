import { mkdtemp, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../domain/errors.js';
import { Redactor } from '../logging/redactor.js';
import {
  generateIdentity,
  loadOrCreateIdentityFile,
  readIdentityFile,
  seal,
  unseal,
  writeIdentityFile,
} from './sealing.js';

describe('sealing', () => {
  it('seals for several recipients, de-duplicated and sorted, and each can unseal', async () => {
    const a = await generateIdentity();
    const b = await generateIdentity();
    const v = await seal('top secret', [b.recipient, a.recipient, b.recipient]);
    expect(v.recipients).toEqual([a.recipient, b.recipient].sort());
    expect(v.sealed).toMatch(
      /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n$/,
    );
    const redactor = new Redactor();
    expect(await unseal(v, a.identity, { redactor })).toBe('top secret');
    expect(await unseal(v, b.identity)).toBe('top secret');
    expect(redactor.redact('x top secret y')).toBe('x [REDACTED] y');
  });

  it('refuses to unseal with a key that is not a recipient, and bad recipients', async () => {
    const a = await generateIdentity();
    const other = await generateIdentity();
    const v = await seal('x', [a.recipient]);
    await expect(unseal(v, other.identity)).rejects.toThrow(InputError);
    await expect(seal('x', [])).rejects.toThrow(InputError);
    await expect(seal('x', ['age1nope'])).rejects.toThrow(InputError);
  });

  it('writes identity files with mode 0600 and reads them back; refuses group-readable ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'imagetrail-key-'));
    try {
      const file = path.join(dir, 'keys', 'runtime.key');
      const first = await loadOrCreateIdentityFile(file);
      expect(first.created).toBe(true);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const again = await loadOrCreateIdentityFile(file);
      expect(again).toEqual({ ...first, created: false });
      const pair = await generateIdentity();
      await writeIdentityFile(file, pair);
      expect(await readIdentityFile(file)).toEqual(pair);
      await chmod(file, 0o644);
      await expect(readIdentityFile(file)).rejects.toThrow(/readable by other users/);
      const bad = path.join(dir, 'bad.key');
      await writeFile(bad, 'nope\n', { mode: 0o600 });
      await expect(readIdentityFile(bad)).rejects.toThrow(InputError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
