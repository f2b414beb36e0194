import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { freePort } from './free-port.js';
import { spawnPeer, waitFor, type PeerProcess } from './process.js';

/** moto's default account; every ARN it hands out uses it. */
export const MOTO_ACCOUNT_ID = '123456789012';
export const READ_ONLY_POLICY_ARN = 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly';

export interface MotoPeer {
  /** http://127.0.0.1:PORT, the endpoint of every service (ECR, STS, IAM). */
  readonly endpoint: string;
  readonly port: number;
  /** The server's process id (benchmarks read its CPU time). */
  readonly pid: number;
  /** Wipes all state (POST /moto-api/reset). IAM enforcement stays as it was. */
  reset(): Promise<void>;
  /** From now on signatures and identity policies are checked. Only keys moto issued are accepted. */
  enableIamAuth(): Promise<void>;
  disableIamAuth(): Promise<void>;
  /** Kills the server by PID and waits for it to exit. */
  stop(): Promise<void>;
}

export async function startMoto(opts: { timeoutMs?: number } = {}): Promise<MotoPeer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let proc: PeerProcess | undefined;
  try {
    proc = spawnPeer('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      // Managed policies (AmazonEC2ContainerRegistryReadOnly…) exist only with this flag.
      env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    });
    const started = proc;
    await waitFor(`moto on ${endpoint}`, async () => (await fetch(`${endpoint}/moto-api/data.json`)).ok, {
      timeoutMs: opts.timeoutMs ?? 30_000,
      peer: started,
    });
  } catch (err) {
    await proc?.stop();
    throw err;
  }
  const running = proc;
  const resetAuth = async (count: '0' | 'inf'): Promise<void> => {
    // Body = number of unauthenticated actions still allowed: 0 = enforce from now on, inf = never.
    const res = await fetch(`${endpoint}/moto-api/reset-auth`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: count,
    });
    if (!res.ok) throw new Error(`moto reset-auth ${count}: HTTP ${res.status} ${await res.text()}`);
  };
  return {
    endpoint,
    port,
    pid: running.pid,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset: HTTP ${res.status}`);
    },
    enableIamAuth: () => resetAuth('0'),
    disableIamAuth: () => resetAuth('inf'),
    stop: () => running.stop(),
  };
}

export interface MotoKeys {
  accessKeyId: string;
  secretAccessKey: string;
  /** arn:aws:iam::123456789012:user/<name> */
  arn: string;
}

export interface EcrIamScenario {
  account: string;
  users: {
    /** AmazonEC2ContainerRegistryReadOnly attached. */
    ro: MotoKeys;
    /** No ECR rights at all (GetCallerIdentity still works: it needs none). */
    noecr: MotoKeys;
    /** Allowed sts:AssumeRole by identity policy, and trusted by both roles. */
    chain: MotoKeys;
    /** Allowed sts:AssumeRole by identity policy, but trusted by no role. */
    stranger: MotoKeys;
  };
  roles: {
    /** ReadOnly attached; trusts `chain` only with `sts:ExternalId` = `externalId`. */
    enrich: { arn: string; externalId: string };
    /** ReadOnly attached; trusts `chain` without a condition. */
    enrichOpen: { arn: string };
  };
}

/**
 * Builds users, keys, roles and policies with IAM enforcement OFF (setup must not be denied), and leaves
 * it off: the caller turns it on with `enableIamAuth()`. Call on a fresh or `reset()` moto.
 */
export async function createEcrIamScenario(
  moto: MotoPeer,
  opts: { externalId?: string } = {},
): Promise<EcrIamScenario> {
  await moto.disableIamAuth();
  const iam = new IAMClient({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    // Any key works while enforcement is off.
    credentials: { accessKeyId: 'AKIASETUPSETUPSETUP0', secretAccessKey: 'setup' },
  });
  try {
    const user = async (name: string): Promise<MotoKeys> => {
      const created = await iam.send(new CreateUserCommand({ UserName: name }));
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
      const k = key.AccessKey;
      if (!k?.AccessKeyId || !k.SecretAccessKey || !created.User?.Arn) {
        throw new Error(`moto returned no access key for ${name}`);
      }
      return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey, arn: created.User.Arn };
    };
    // moto, unlike AWS for same-account trust, also requires the caller's identity policy to allow
    // sts:AssumeRole, so both role callers get one.
    const allowAssume = (name: string): Promise<unknown> =>
      iam.send(
        new PutUserPolicyCommand({
          UserName: name,
          PolicyName: 'assume-any-role',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
          }),
        }),
      );

    const ro = await user('ro');
    await iam.send(new AttachUserPolicyCommand({ UserName: 'ro', PolicyArn: READ_ONLY_POLICY_ARN }));
    const noecr = await user('noecr');
    const chain = await user('chain');
    await allowAssume('chain');
    const stranger = await user('stranger');
    await allowAssume('stranger');

    const externalId = opts.externalId ?? 'imagetrail-test-external-id';
    const role = async (name: string, condition?: Record<string, unknown>): Promise<string> => {
      const statement: Record<string, unknown> = {
        Effect: 'Allow',
        Principal: { AWS: chain.arn },
        Action: 'sts:AssumeRole',
      };
      if (condition) statement['Condition'] = condition;
      const created = await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
        }),
      );
      await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: READ_ONLY_POLICY_ARN }));
      if (!created.Role?.Arn) throw new Error(`moto returned no ARN for role ${name}`);
      return created.Role.Arn;
    };
    const enrichArn = await role('enrich', { StringEquals: { 'sts:ExternalId': externalId } });
    const enrichOpenArn = await role('enrich-open');

    return {
      account: MOTO_ACCOUNT_ID,
      users: { ro, noecr, chain, stranger },
      roles: { enrich: { arn: enrichArn, externalId }, enrichOpen: { arn: enrichOpenArn } },
    };
  } finally {
    iam.destroy();
  }
}
