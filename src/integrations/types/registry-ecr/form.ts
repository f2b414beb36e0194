import {
  AccessKeyId,
  AwsRegion,
  EndpointUrl,
  ExternalId,
  IamRoleArn,
  RoleSessionName,
} from '../../../domain/names.js';
import { filled, type FormSpec, type Values } from '../form-model.js';
import { ACCESS_KEY_MIN_RUNTIME_VERSION } from './kind.js';
import type { EcrView } from './view.js';

/** `registry.ecr`: an IAM role the runtime assumes, or an IAM user's access key. */

const iamRole = (v: Values) => v['mode'] === 'iamRole';
const accessKey = (v: Values) => v['mode'] === 'accessKey';

function durationProblem(value: string): string | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n >= 900 && n <= 3600
    ? undefined
    : 'must be a whole number of seconds from 900 to 3600 (AWS caps role-chained sessions at one hour)';
}

function auth(v: Values) {
  if (iamRole(v)) {
    return {
      mode: 'iamRole',
      roleArn: v['roleArn'],
      ...filled({ externalId: v['externalId'], sessionName: v['sessionName'] }),
      ...(v['durationSeconds'] ? { durationSeconds: Number(v['durationSeconds']) } : {}),
    };
  }
  // An empty secret is left out: on an edit (or a draft test of one) the stored secret is kept.
  return {
    mode: 'accessKey',
    accessKeyId: v['accessKeyId'],
    ...filled({ secretAccessKey: v['secretAccessKey'] }),
  };
}

function endpoints(v: Values): Record<string, string> | undefined {
  const e = filled({ api: v['endpointApi'], sts: v['endpointSts'], registry: v['endpointRegistry'] });
  return Object.keys(e).length ? e : undefined;
}

export const ecrForm: FormSpec<EcrView> = {
  addTitle: 'Add an Amazon ECR integration',
  addLabel: 'Add ECR integration',
  fields: [
    {
      kind: 'text',
      key: 'region',
      label: 'AWS region',
      group: 'main',
      path: 'ecr.region',
      required: true,
      schema: AwsRegion,
      help: 'The region of the registry, e.g. eu-west-1.',
    },
    {
      kind: 'choice',
      key: 'mode',
      label: 'Authentication mode',
      group: 'auth',
      path: 'ecr.auth.mode',
      options: [
        {
          value: 'accessKey',
          label: 'Access key',
          help: `An IAM user's access key. Needs runtime ${ACCESS_KEY_MIN_RUNTIME_VERSION} or later. The secret is sealed in Git and never shown again.`,
        },
        {
          value: 'iamRole',
          label: 'IAM role',
          help: "The runtime's own AWS identity assumes this role (role chaining). Hybrid runtimes only.",
        },
      ],
    },
    {
      kind: 'text',
      key: 'roleArn',
      label: 'Role ARN',
      group: 'auth',
      path: 'ecr.auth.roleArn',
      required: true,
      schema: IamRoleArn,
      help: 'arn:aws:iam::123456789012:role/imagetrail-ecr',
      when: iamRole,
    },
    {
      kind: 'text',
      key: 'externalId',
      label: 'External ID (optional)',
      group: 'auth',
      path: 'ecr.auth.externalId',
      schema: ExternalId,
      when: iamRole,
    },
    {
      kind: 'text',
      key: 'sessionName',
      label: 'Session name (optional)',
      group: 'auth',
      path: 'ecr.auth.sessionName',
      schema: RoleSessionName,
      help: 'Shows in CloudTrail; default imagetrail-<runtime>.',
      when: iamRole,
    },
    {
      kind: 'text',
      key: 'accessKeyId',
      label: 'Access key ID',
      group: 'auth',
      path: 'ecr.auth.accessKeyId',
      required: true,
      schema: AccessKeyId,
      when: accessKey,
    },
    {
      kind: 'secret',
      key: 'secretAccessKey',
      label: 'Secret access key',
      group: 'auth',
      path: 'ecr.auth.secretAccessKey',
      when: accessKey,
    },
    {
      kind: 'url',
      key: 'endpointApi',
      label: 'ECR API endpoint',
      group: 'advanced',
      path: 'ecr.endpoints.api',
      schema: EndpointUrl,
    },
    {
      kind: 'url',
      key: 'endpointSts',
      label: 'STS endpoint',
      group: 'advanced',
      path: 'ecr.endpoints.sts',
      schema: EndpointUrl,
    },
    {
      kind: 'url',
      key: 'endpointRegistry',
      label: 'Registry (/v2/) endpoint',
      group: 'advanced',
      path: 'ecr.endpoints.registry',
      schema: EndpointUrl,
    },
    {
      kind: 'number',
      key: 'durationSeconds',
      label: 'Session duration in seconds (optional)',
      group: 'advanced',
      path: 'ecr.auth.durationSeconds',
      check: durationProblem,
      min: 900,
      max: 3600,
      help: '900 to 3600; default 3600.',
      when: iamRole,
    },
  ],
  advancedHelp:
    "Endpoint overrides for VPC interface endpoints or test servers. They win over the runtime's AWS_ENDPOINT_URL_* settings.",
  destinations: {
    keys: ['region', 'endpointApi', 'endpointSts', 'endpointRegistry'],
    words: 'the region or an endpoint',
  },
  initial: { mode: 'accessKey' },

  fromView(e): Values {
    if (!e) return {};
    return {
      region: e.region,
      mode: e.mode,
      roleArn: e.roleArn ?? '',
      externalId: e.externalId ?? '',
      sessionName: e.sessionName ?? '',
      durationSeconds: e.durationSeconds !== undefined ? String(e.durationSeconds) : '',
      accessKeyId: e.accessKeyId ?? '',
      endpointApi: e.endpoints?.api ?? '',
      endpointSts: e.endpoints?.sts ?? '',
      endpointRegistry: e.endpoints?.registry ?? '',
    };
  },

  storedSecrets(e, v) {
    return accessKey(v) && e?.mode === 'accessKey' && e.secretAccessKey?.set ? ['secretAccessKey'] : [];
  },

  sectionBody(v, mode) {
    const ep = endpoints(v);
    // On an edit, no endpoints means "remove the overrides".
    if (mode === 'edit') return { region: v['region'], auth: auth(v), endpoints: ep ?? null };
    return { region: v['region'], auth: auth(v), ...(ep ? { endpoints: ep } : {}) };
  },

  summary(e) {
    return e ? `Amazon ECR (${e.region})` : 'Amazon ECR';
  },
};
