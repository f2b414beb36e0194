import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import type { AwsIdentity } from '../contract/agent-protocol.js';
import { InputError } from '../domain/errors.js';
import type { Logger } from '../logging/logger.js';

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
  const parsed = Credential.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new InputError(`${credentialFile(dataDir)} is not an agent credential file.`, {
      hints: ['Remove it and register again with a new registration token.'],
    });
  }
  return parsed.data;
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
  if (file) return (await readFile(file, 'utf8')).trim();
  const v = env['IMAGETRAIL_REGISTRATION_TOKEN']?.trim();
  return v || undefined;
}

/**
 * GetCallerIdentity through the SDK's default chain (env, IRSA web identity, EKS Pod Identity, ECS/EC2,
 * profiles). No identity is not an error: the runtime then has no cloud identity (IAM-role mode fails there).
 */
export async function callerIdentity(
  logger: Pick<Logger, 'warn'>,
  timeoutMs: number,
): Promise<AwsIdentity | null> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({
    region: process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    maxAttempts: 2,
  });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    if (!out.Arn) return null;
    return {
      arn: out.Arn,
      ...(out.Account ? { account: out.Account } : {}),
      ...(out.UserId ? { userId: out.UserId } : {}),
    };
  } catch (err) {
    logger.warn(
      { errorName: (err as Error).name },
      `no AWS identity (GetCallerIdentity failed: ${(err as Error).message}); IAM-role integrations cannot work on this runtime`,
    );
    return null;
  } finally {
    sts.destroy();
  }
}
