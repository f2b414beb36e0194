import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll } from 'vitest';
import {
  createEcrIamScenario,
  READ_ONLY_POLICY_ARN,
  startMoto,
  type EcrIamScenario,
  type MotoPeer,
} from '../peers/moto.js';
import { startRegistry, type RegistryPeer } from '../peers/registry.js';
import { startImagetrail, type ServerHandle } from '../helpers/imagetrail.js';
import { bareRemote, git } from '../helpers/git.js';

// Issue 2 end to end: the real CLI against a real server, moto enforcing IAM, the distribution registry as
// the ECR data plane, and a bare Git remote as the shared configuration repository.
// Where moto differs from AWS (see test-peers.md): ECR denials are XML 403 here and JSON 400 on AWS (the
// probe classifies both); moto's AssumeRole also needs the caller's identity policy (the scenario grants
// it); moto's ECR token names the real AWS host, hence --registry-endpoint.
//
// The setup shared by integrations*.test.ts: call useIntegrationsServer() once at the top of a test file;
// the bindings below are set by its beforeAll (read them inside tests and hooks only).

export const exec = promisify(execFile);
export const REGION = 'us-east-1';
export const SECRET_MARK = 'it-e2e-distinctive';

export let moto: MotoPeer;
let registry: RegistryPeer;
export let s: EcrIamScenario;
export let remote: Awaited<ReturnType<typeof bareRemote>>;
export let server: ServerHandle;
export let untrustingRole: string;

export function endpoints(): string[] {
  return [
    '--api-endpoint',
    moto.endpoint,
    '--sts-endpoint',
    moto.endpoint,
    '--registry-endpoint',
    registry.url,
  ];
}

export async function remoteHead(): Promise<string> {
  return (await git(remote.path, 'rev-parse', 'main')).trim();
}

export async function remoteFiles(): Promise<string[]> {
  return (await git(remote.path, 'ls-tree', '-r', '--name-only', 'main')).trim().split('\n');
}

export async function remoteFile(path: string): Promise<string> {
  return git(remote.path, 'show', `main:${path}`);
}

/** Starts the server as user `chain` on a fresh repository; creates the `untrusting` role. */
export function useIntegrationsServer(): void {
  beforeAll(async () => {
    [moto, registry, remote] = await Promise.all([startMoto(), startRegistry(), bareRemote()]);
    s = await createEcrIamScenario(moto);
    // A role whose trust policy names someone other than the server's own identity (`chain`).
    const iam = new IAMClient({
      region: REGION,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'AKIAADMIN0000000000', secretAccessKey: 'x' },
    });
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'untrusting',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: s.users.ro.arn }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    untrustingRole = role.Role!.Arn!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'untrusting', PolicyArn: READ_ONLY_POLICY_ARN }));
    await moto.enableIamAuth();
    // The server runs as user `chain`: its ambient identity for IAM-role mode.
    server = await startImagetrail({
      configRepo: remote.url,
      env: {
        AWS_ACCESS_KEY_ID: s.users.chain.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s.users.chain.secretAccessKey,
        AWS_REGION: REGION,
      },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([moto?.stop(), registry?.stop(), remote?.cleanup()]);
  });
}
