import type { AwsIdentity } from '../contract/agent-protocol.js';

/** The caller identity, or why there is none (sent from the identity worker as a structured clone). */
export interface IdentityLookup {
  identity: AwsIdentity | null;
  failure?: { name: string; message: string };
}

/** GetCallerIdentity through the SDK's default credential chain of this process. */
export async function lookupIdentity(timeoutMs: number): Promise<IdentityLookup> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({
    region: process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    maxAttempts: 2,
  });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    if (!out.Arn) return { identity: null };
    return {
      identity: {
        arn: out.Arn,
        ...(out.Account ? { account: out.Account } : {}),
        ...(out.UserId ? { userId: out.UserId } : {}),
      },
    };
  } catch (err) {
    return { identity: null, failure: { name: (err as Error).name, message: (err as Error).message } };
  } finally {
    sts.destroy();
  }
}
