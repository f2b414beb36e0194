import type { ClassifiedAwsError, ClassifyContext } from './classified.js';

// AccessDenied explained: which policy is missing (identity, trust or repository policy), for which
// principal and action, and the statement or managed policy that grants it.

/** AmazonEC2ContainerRegistryReadOnly, v3 (ecr-sts-iam.md §4.1). */
export const READ_ONLY_ACTIONS: readonly string[] = [
  'ecr:GetAuthorizationToken',
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:GetRepositoryPolicy',
  'ecr:DescribeRepositories',
  'ecr:ListImages',
  'ecr:DescribeImages',
  'ecr:BatchGetImage',
  'ecr:GetLifecyclePolicy',
  'ecr:GetLifecyclePolicyPreview',
  'ecr:ListTagsForResource',
  'ecr:DescribeImageScanFindings',
];
const POWER_USER_EXTRA_ACTIONS: readonly string[] = [
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
];

/** The narrowest AWS managed policy granting an ECR action. */
export function managedPolicyFor(action: string): string | undefined {
  if (READ_ONLY_ACTIONS.includes(action)) return 'AmazonEC2ContainerRegistryReadOnly';
  if (POWER_USER_EXTRA_ACTIONS.includes(action)) return 'AmazonEC2ContainerRegistryPowerUser';
  if (action.startsWith('ecr:')) return 'AmazonEC2ContainerRegistryFullAccess';
  return undefined;
}

/**
 * Trust policies name roles, not sessions: `arn:aws:sts::A:assumed-role/R/s` → `arn:aws:iam::A:role/R`.
 * The role's path is not in the session ARN, so a role with a path needs it added by hand.
 */
export function policyPrincipalArn(arn: string): string {
  const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}

/** The statement to add to the role's trust policy so `callerArn` may assume it. */
export function trustPolicyStatement(callerArn: string, externalId?: string): string {
  const statement: Record<string, unknown> = {
    Effect: 'Allow',
    Principal: { AWS: policyPrincipalArn(callerArn) },
    Action: 'sts:AssumeRole',
  };
  if (externalId !== undefined) statement['Condition'] = { StringEquals: { 'sts:ExternalId': externalId } };
  return JSON.stringify(statement);
}

function callerOf(raw: string, ctx: ClassifyContext): string | undefined {
  return /User: (arn:\S+) is not authorized/.exec(raw)?.[1] ?? ctx.callerArn;
}

export function trustFailure(ctx: ClassifyContext, raw: string): ClassifiedAwsError {
  const caller = callerOf(raw, ctx);
  const role = ctx.roleArn ?? 'the role';
  const principal = caller ? policyPrincipalArn(caller) : '<caller ARN>';
  const statement = trustPolicyStatement(principal, ctx.externalId);
  const identityHint = `The caller ${principal} also needs an identity policy allowing "sts:AssumeRole" on ${role}: {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"${role}"}.`;
  if (ctx.externalId !== undefined) {
    return {
      errorClass: 'external-id',
      action: 'sts:AssumeRole',
      // AWS answers the same AccessDenied for every cause, so name both candidates.
      message: `${caller ?? 'The caller'} may not assume ${role}: either the external ID does not match the role's sts:ExternalId condition, or the role's trust policy does not name the caller (AWS does not say which).`,
      hints: [
        `Check that the external ID matches the role's trust policy condition; the role's trust policy should contain: ${statement}`,
        identityHint,
      ],
    };
  }
  return {
    errorClass: 'trust-policy',
    action: 'sts:AssumeRole',
    message: `${caller ?? 'The caller'} is not allowed to assume ${role}: the role's trust policy does not allow it.`,
    hints: [`Add this statement to the trust policy of ${role}: ${statement}`, identityHint],
  };
}

export function ecrDenied(ctx: ClassifyContext, raw: string): ClassifiedAwsError {
  const action = /not authorized to perform:? (\w+:\w+)/.exec(raw)?.[1] ?? ctx.action ?? 'the ECR action';
  const caller = callerOf(raw, ctx);
  const principal = caller ? policyPrincipalArn(caller) : undefined;
  const resource = /on resource: (\S+)/.exec(raw)?.[1];
  const onResource = resource ? ` on ${resource}` : '';
  const by = caller ?? 'The principal';
  const partition = /^arn:([\w-]+):/.exec(principal ?? '')?.[1] ?? 'aws';
  const explicitDeny = /explicit deny/i.test(raw);

  if (/no resource-based policy allows/i.test(raw)) {
    return {
      errorClass: 'repository-policy',
      action,
      message: `${by} is not authorized to perform ${action}${onResource}: no resource-based policy (repository policy) allows it — the repository is in another account.`,
      hints: [
        `Add a repository policy statement allowing ${principal ?? 'the principal'} ${action}: {"Effect":"Allow","Principal":{"AWS":"${principal ?? '<principal ARN>'}"},"Action":["${action}"]}`,
      ],
    };
  }

  const policy = managedPolicyFor(action);
  const resourceScope =
    action === 'ecr:GetAuthorizationToken'
      ? '"*" (this action has no resource-level permissions)'
      : `"*" or the repository ARN`;
  const hints: string[] = [];
  if (explicitDeny) {
    hints.push(
      `An explicit Deny (identity policy, permissions boundary, SCP or session policy) blocks ${action}; adding an Allow will not help, remove or narrow the Deny.`,
    );
  }
  if (policy) {
    hints.push(
      `Attach the AWS managed policy ${policy} (arn:${partition}:iam::aws:policy/${policy}) to ${principal ?? 'the IAM user or role'}; it grants ${action}.`,
    );
  }
  hints.push(
    `Or add an identity policy statement: {"Effect":"Allow","Action":"${action}","Resource":"*"} (Resource ${resourceScope}).`,
  );

  // Real ECR says which policy type failed; moto's XML 403 does not, and for an own-account repository
  // the identity policy is the one that decides.
  const whichPolicy = explicitDeny
    ? 'an explicit deny blocks it'
    : /no identity-based policy allows/i.test(raw)
      ? 'no identity-based policy allows it'
      : 'no identity-based policy allows it (AWS did not say which policy; for a repository in the same account it is the identity policy)';
  return {
    errorClass: 'permission-missing',
    action,
    message: `${by} is not authorized to perform ${action}${onResource}: ${whichPolicy}.${policy ? ` The managed policy ${policy} grants it.` : ''}`,
    hints,
  };
}
