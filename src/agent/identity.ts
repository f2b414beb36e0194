import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { AwsIdentity } from '../contract/agent-protocol.js';
import { InputError, InternalError } from '../domain/errors.js';
import type { Logger } from '../logging/logger.js';
import type { IdentityLookup } from './identity-lookup.js';

/**
 * What an agent keeps in its data directory (one Kubernetes Secret, shared by the runtime's replicas):
 * the runtime's age identity (`keys/runtimes/<name>.agekey`, written by KeyStore) and the runtime
 * credential (`credential.json`), both 0600. The agent id is per process: replicas differ.
 */
const Credential = z.object({
  server: z.string(),
  runtime: z.string(),
  credential: z.string().min(1),
  credentialId: z.string(),
});
export type StoredCredential = z.infer<typeof Credential>;

export function credentialFile(dataDir: string): string {
  return join(dataDir, 'credential.json');
}

export async function readCredential(dataDir: string): Promise<StoredCredential | undefined> {
  let text: string;
  try {
    text = await readFile(credentialFile(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = Credential.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new InputError(`${credentialFile(dataDir)} is not an agent credential file.`, {
      hints: ['Remove it and register again with a new registration token.'],
    });
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // refused by the schema, with the file's name
  }
}

export async function writeCredential(dataDir: string, c: StoredCredential): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = credentialFile(dataDir);
  await writeFile(file, JSON.stringify(c) + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
}

export function newAgentId(): string {
  const host = hostname()
    .replace(/[^\w.-]/g, '-')
    .slice(0, 60);
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The registration token from a file (`--registration-token-file`) or IMAGETRAIL_REGISTRATION_TOKEN. */
export async function registrationToken(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  if (file) {
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`Cannot read the registration token file ${file} (${err.code ?? err.message}).`, {
        hints: [
          'Write the token printed by `imagetrail runtime add` or `imagetrail runtime token NAME` to that file.',
        ],
      });
    });
    const token = text.trim();
    if (!token) throw new InputError(`The registration token file ${file} is empty.`);
    return token;
  }
  const v = env['IMAGETRAIL_REGISTRATION_TOKEN']?.trim();
  return v || undefined;
}

/**
 * GetCallerIdentity through the SDK's default chain (env, IRSA web identity, EKS Pod Identity, ECS/EC2,
 * profiles). No identity is not an error: the runtime then has no cloud identity (IAM-role mode fails there).
 * It runs once, in a short-lived child process: the STS client (and the undici and http2 it loads) would
 * otherwise stay resident in an idle agent, 10–15 MB of its 80 MB budget (docs/benchmarks.md).
 */
export function callerIdentity(
  logger: Pick<Logger, 'warn'>,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): () => Promise<AwsIdentity | null> {
  // Checked here, before the agent does anything: a broken build fails its start, whatever else is wrong.
  const child = identityChild(import.meta.url);
  return () => lookupIdentityVia(child, logger, timeoutMs, env['AWS_PROFILE']);
}

/**
 * The lookup's child entry next to `moduleUrl` (a bundle entry of its own, scripts/build.mjs), or null when
 * running from the sources (tests), where there is none and the lookup runs in this process. A bundle
 * without it is a broken build: quietly looking up in-process would keep the STS client resident.
 */
export function identityChild(moduleUrl: string): URL | null {
  if (moduleUrl.endsWith('.ts')) return null;
  const file = new URL('./agent-identity.js', moduleUrl);
  if (existsSync(file)) return file;
  throw new InternalError(`This imagetrail build is incomplete: ${fileURLToPath(file)} is missing.`, {
    hints: [
      'Rebuild with `npm run build` (or `npm ci`), or use a complete release image: the agent looks up its AWS identity in that separate process.',
    ],
  });
}

async function lookupIdentityVia(
  child: URL | null,
  logger: Pick<Logger, 'warn'>,
  timeoutMs: number,
  profile: string | undefined,
): Promise<AwsIdentity | null> {
  const lookup = child ? await inChild(child, timeoutMs) : await inProcess(timeoutMs);
  if (lookup.failure) {
    // A profile that is not there fails like no credentials at all: name it, it is the likely mistake.
    const noCredentials = /credential|profile/i.test(`${lookup.failure.name} ${lookup.failure.message}`);
    const via =
      profile && noCredentials
        ? ` with AWS_PROFILE=${profile} (is that profile in ~/.aws/config or ~/.aws/credentials?)`
        : '';
    logger.warn(
      { errorName: lookup.failure.name, ...(profile ? { awsProfile: profile } : {}) },
      `no AWS identity (GetCallerIdentity failed${via}: ${lookup.failure.message}); IAM-role integrations cannot work on this runtime`,
    );
  }
  return lookup.identity;
}

const Lookup = z.object({
  identity: AwsIdentity.nullable(),
  failure: z.object({ name: z.string(), message: z.string() }).optional(),
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function inProcess(timeoutMs: number): Promise<IdentityLookup> {
  return (await import('./identity-lookup.js')).lookupIdentity(timeoutMs);
}

async function inChild(file: URL, timeoutMs: number): Promise<IdentityLookup> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    // The child inherits this process's environment and files (the same default credential chain), but
    // not imagetrail's own settings: a registration token in the environment is none of its business.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IMAGETRAIL_')));
    execFile(
      process.execPath,
      [fileURLToPath(file), String(timeoutMs)],
      { timeout: timeoutMs * 3, maxBuffer: 1 << 20, env },
      (err, stdout, stderr) => {
        const parsed = err ? undefined : Lookup.safeParse(safeJson(stdout));
        if (parsed?.success) return resolve(parsed.data);
        // Not err.message: it repeats the command line and all of stderr.
        const firstLine = String(stderr).split('\n', 1)[0]?.slice(0, 300) ?? '';
        const exit = err ? `exit ${err.code ?? err.signal ?? '?'}` : 'it printed no identity';
        const why = firstLine ? `${exit}: ${firstLine}` : exit;
        resolve({
          identity: null,
          failure: { name: err?.name ?? 'Error', message: `the lookup failed: ${why}` },
        });
      },
    );
  });
}
