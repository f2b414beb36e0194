import type { CliSpec } from '../definition.js';

/** `imagetrail integration add ecr` and the ECR options of `integration edit`. */
export const ecrFlags: CliSpec = {
  command: 'ecr',
  description: 'add an Amazon ECR integration (IAM role or access key), tested before it is committed',
  flags: [
    {
      flag: '--region <region>',
      setting: 'region',
      description: 'AWS region of the registry, e.g. eu-west-1',
    },
    {
      flag: '--access-key-id <id>',
      setting: 'auth.accessKeyId',
      description: 'access key mode: the IAM user access key ID',
      comesWith: 'auth.secretAccessKey',
    },
    {
      flag: '--secret-access-key-stdin',
      setting: 'auth.secretAccessKey',
      description:
        'access key mode: read the secret access key from standard input (else env AWS_SECRET_ACCESS_KEY)',
      env: 'AWS_SECRET_ACCESS_KEY',
    },
    {
      flag: '--role-arn <arn>',
      setting: 'auth.roleArn',
      description: 'IAM role mode: ARN of the role to assume from the runtime identity',
    },
    {
      flag: '--external-id <id>',
      setting: 'auth.externalId',
      description: 'IAM role mode: external ID required by the role trust policy',
    },
    {
      flag: '--session-name <name>',
      setting: 'auth.sessionName',
      description: 'IAM role mode: STS role session name (default imagetrail-<runtime>)',
    },
    {
      flag: '--duration-seconds <n>',
      setting: 'auth.durationSeconds',
      description: 'IAM role mode: session length, 900–3600 (chained sessions are capped at 1 h)',
    },
    {
      flag: '--api-endpoint <url>',
      setting: 'endpoints.api',
      description: 'ECR API endpoint override (VPC endpoint, test server)',
    },
    { flag: '--sts-endpoint <url>', setting: 'endpoints.sts', description: 'STS endpoint override' },
    {
      flag: '--registry-endpoint <url>',
      setting: 'endpoints.registry',
      description: 'registry (/v2/) endpoint override',
    },
  ],
};
