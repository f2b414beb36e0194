import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { InputError } from '../domain/errors.js';
import type { Redactor } from '../logging/redactor.js';
import { AgeRecipient, SealedValue } from './kinds/common.js';

export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1…`: stays where the runtime (or control plane) runs, never in Git. */
  identity: string;
  /** `age1…`: stored in the repository, sealed to. */
  recipient: string;
}

const IDENTITY_RE = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

/** A fresh X25519 key pair, the kind `age-keygen` makes, so the stock CLI can decrypt. */
export async function generateIdentity(): Promise<AgeKeyPair> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

export async function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(checkIdentity(identity));
}

/**
 * Seals a secret for the given recipients as an ASCII-armored age file (it sits in YAML as a block
 * string). Recipients are de-duplicated and sorted so that re-sealing for the same set yields the same
 * `recipients` list and diffs stay readable.
 */
export async function seal(plaintext: string, recipients: readonly string[]): Promise<SealedValue> {
  const list = [...new Set(recipients)].sort();
  if (list.length === 0) throw new InputError('cannot seal a secret for no recipients');
  for (const r of list) {
    if (!AgeRecipient.safeParse(r).success) throw new InputError(`not an age X25519 recipient: ${r}`);
  }
  const e = new Encrypter();
  for (const r of list) e.addRecipient(r);
  const sealed = armor.encode(await e.encrypt(plaintext));
  return SealedValue.parse({ sealed, recipients: list });
}

export interface UnsealOptions {
  /** The plaintext is registered here before it is returned, so it can never reach a log. */
  redactor?: Redactor;
}

/** Decrypts a sealed value with one identity; an identity that is not a recipient is an InputError. */
export async function unseal(
  value: SealedValue,
  identity: string,
  options: UnsealOptions = {},
): Promise<string> {
  const d = new Decrypter();
  d.addIdentity(checkIdentity(identity));
  let bytes: Uint8Array;
  try {
    bytes = armor.decode(value.sealed);
  } catch (cause) {
    throw new InputError('sealed value is not a valid ASCII-armored age file', { cause });
  }
  let plaintext: string;
  try {
    plaintext = await d.decrypt(bytes, 'text');
  } catch (cause) {
    throw new InputError(
      'cannot unseal: this key is not one of the recipients, or the sealed value is damaged',
      {
        cause,
        hints: ['Re-seal the secret for this runtime (edit the integration and set the secret again).'],
      },
    );
  }
  options.redactor?.register(plaintext);
  return plaintext;
}

function checkIdentity(identity: string): string {
  const id = identity.trim();
  // Never echo the identity itself in the message: it is the private key.
  if (!IDENTITY_RE.test(id)) throw new InputError('not an age X25519 identity (expected AGE-SECRET-KEY-1…)');
  return id;
}

/** Reads an identity file in `age-keygen` format (comments allowed); refuses one others can read, like ssh. */
export async function readIdentityFile(file: string): Promise<AgeKeyPair> {
  const st = await stat(file);
  if ((st.mode & 0o077) !== 0) {
    throw new InputError(`identity file ${file} is readable by other users`, {
      hints: [`chmod 600 ${file}`],
    });
  }
  const lines = (await readFile(file, 'utf8'))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length !== 1 || lines[0] === undefined) {
    throw new InputError(`identity file ${file} must hold exactly one AGE-SECRET-KEY-1… line`);
  }
  const identity = checkIdentity(lines[0]);
  return { identity, recipient: await identityToRecipient(identity) };
}

/**
 * Writes an identity file readable by `age -d -i FILE`, with mode 0600 from creation (written to a
 * temporary name and renamed, so a crash never leaves a half-written key under the real name).
 */
export async function writeIdentityFile(
  file: string,
  pair: AgeKeyPair,
  now: Date = new Date(),
): Promise<void> {
  checkIdentity(pair.identity);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const text = `# created: ${now.toISOString()}\n# public key: ${pair.recipient}\n${pair.identity}\n`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // The umask cannot widen 0600, but an explicit chmod keeps this true on odd file systems too.
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Loads the identity at `file`, creating a new key pair there on first use. */
export async function loadOrCreateIdentityFile(file: string): Promise<AgeKeyPair & { created: boolean }> {
  try {
    return { ...(await readIdentityFile(file)), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pair = await generateIdentity();
  await writeIdentityFile(file, pair);
  return { ...pair, created: true };
}
