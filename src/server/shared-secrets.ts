import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recipientOf } from '../config-repo/sealing.js';
import { InputError } from '../domain/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Redactor } from '../logging/redactor.js';
import type { KeyPair, KeyStore } from '../config-repo/keys.js';
import type { RecipientPins } from '../runtimes/recipient-pins.js';
import type { DialectName } from '../store/database.js';
import { looksLikeToken, type TokenStore } from '../store/token-store.js';

/**
 * Secrets every replica must share, read from files outside the data directory (Kubernetes Secrets
 * mounted as volumes): the control plane's age identity, the in-process runtime's, and the first admin
 * token. Replicas must never generate their own: secrets sealed for one replica's key would not open on
 * another, and a second key pinned over the first locks every sealed value out (docs/replicas.md).
 */
export interface SharedSecretFiles {
  identityFile?: string | undefined;
  localRuntimeIdentityFile?: string | undefined;
  adminTokenFile?: string | undefined;
}

export interface SharedSecrets {
  controlPlane?: KeyPair;
  localRuntime?: KeyPair;
  adminToken?: string;
}

const FLAGS = {
  identityFile: '--identity-file / IMAGETRAIL_IDENTITY_FILE',
  localRuntimeIdentityFile: '--local-runtime-identity-file / IMAGETRAIL_LOCAL_RUNTIME_IDENTITY_FILE',
  adminTokenFile: '--admin-token-file / IMAGETRAIL_ADMIN_TOKEN_FILE',
} as const;

export async function readSharedSecrets(
  files: SharedSecretFiles,
  redactor: Redactor,
): Promise<SharedSecrets> {
  const out: SharedSecrets = {};
  if (files.identityFile) out.controlPlane = await readIdentity(files.identityFile, 'identityFile', redactor);
  if (files.localRuntimeIdentityFile) {
    out.localRuntime = await readIdentity(
      files.localRuntimeIdentityFile,
      'localRuntimeIdentityFile',
      redactor,
    );
  }
  if (files.adminTokenFile) {
    const token = (await readSecretFile(files.adminTokenFile, 'adminTokenFile')).trim();
    redactor.register(token);
    if (!looksLikeToken(token)) {
      throw new InputError(
        `${files.adminTokenFile} (${FLAGS.adminTokenFile}) does not hold an imagetrail token`,
        {
          hints: [
            'A token is "it_" followed by 43 base64url characters, e.g.:',
            `printf 'it_%s\\n' "$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=')" > admin-token`,
          ],
        },
      );
    }
    out.adminToken = token;
  }
  return out;
}

/**
 * Group-readable is accepted (a Kubernetes Secret volume with `fsGroup` is 0440), world-readable is not.
 * The message names the file, never its content.
 */
async function readSecretFile(file: string, flag: keyof typeof FLAGS): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (err) {
    throw new InputError(
      `cannot read ${file} (${FLAGS[flag]}): ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        cause: err,
        hints: ['Point the option at the mounted Secret file, readable by the user running imagetrail.'],
      },
    );
  }
  if ((mode & 0o007) !== 0) {
    throw new InputError(`${file} (${FLAGS[flag]}) is readable by every user`, {
      hints: [`chmod 600 ${file} (in Kubernetes: defaultMode: 0400 on the Secret volume)`],
    });
  }
  return readFile(file, 'utf8');
}

async function readIdentity(file: string, flag: keyof typeof FLAGS, redactor: Redactor): Promise<KeyPair> {
  const lines = (await readSecretFile(file, flag))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const identity = lines.length === 1 ? lines[0] : undefined;
  if (identity) redactor.register(identity);
  try {
    if (!identity) throw new InputError('expected exactly one AGE-SECRET-KEY-1… line');
    return { identity, recipient: await recipientOf(identity) };
  } catch (err) {
    throw new InputError(`${file} (${FLAGS[flag]}) is not an age identity file: ${(err as Error).message}`, {
      hints: ['Create one with: age-keygen -o FILE.'],
    });
  }
}

/**
 * On PostgreSQL, replicas share the store, so keys pinned there by one replica bind all of them. A
 * replica whose identity is missing or different refuses to start instead of generating (or pinning) its
 * own. Call with the bootstrap lock held and the pins freshly loaded, so two replicas starting at once on
 * an empty database see each other's pins.
 */
export async function assertSharedIdentities(deps: {
  dialect: DialectName;
  keys: KeyStore;
  pins: RecipientPins;
  localRuntime: string | undefined;
}): Promise<void> {
  if (deps.dialect !== 'postgres') return;
  const checks = [
    {
      owner: 'control-plane',
      pinned: deps.pins.controlPlane(),
      flag: FLAGS.identityFile,
      what: 'control plane',
    },
    ...(deps.localRuntime === undefined
      ? []
      : [
          {
            owner: deps.localRuntime,
            pinned: deps.pins.runtime(deps.localRuntime),
            flag: FLAGS.localRuntimeIdentityFile,
            what: `in-process runtime "${deps.localRuntime}"`,
          },
        ]),
  ];
  for (const c of checks) {
    if (!c.pinned) continue;
    const held = await deps.keys.get(c.owner);
    if (held?.recipient === c.pinned) continue;
    throw new InputError(
      `this replica ${held ? 'holds a different' : 'has no'} age identity for the ${c.what}; the shared database pins ${c.pinned}`,
      {
        hints: [
          `Give every replica on one PostgreSQL database the same identity with ${c.flag} (a mounted Kubernetes Secret).`,
          `The first replica's is keys/${c.owner === 'control-plane' ? 'control-plane' : `runtimes/${c.owner}`}.agekey in its data directory; see docs/replicas.md.`,
        ],
      },
    );
  }
}

/**
 * The first admin token: taken from `--admin-token-file` when given (the same on every replica), otherwise
 * generated and written to `<data-dir>/admin-token` (0600) — by one replica only: call with the bootstrap
 * lock held.
 */
export async function ensureAdminToken(
  deps: { tokens: Pick<TokenStore, 'list' | 'create'>; dataDir: string; logger: Pick<Logger, 'info'> },
  preset: string | undefined,
): Promise<string | undefined> {
  if ((await deps.tokens.list()).length > 0) return undefined;
  if (preset) {
    await deps.tokens.create({ name: 'initial admin', scopes: ['admin'] }, preset);
    deps.logger.info('created the first admin token from --admin-token-file');
    return undefined;
  }
  const file = join(deps.dataDir, 'admin-token');
  const { token } = await deps.tokens.create({ name: 'initial admin', scopes: ['admin'] });
  await writeFile(file, token + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  deps.logger.info({ file }, `created the first admin token; it is in ${file} (mode 0600)`);
  return file;
}

/** Identities given from outside the data directory, by owner, for the KeyStore. */
export function sharedKeys(secrets: SharedSecrets, localRuntime: string | undefined): Map<string, KeyPair> {
  const m = new Map<string, KeyPair>();
  if (secrets.controlPlane) m.set('control-plane', secrets.controlPlane);
  if (secrets.localRuntime && localRuntime !== undefined) m.set(localRuntime, secrets.localRuntime);
  return m;
}
