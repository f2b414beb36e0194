import { InputError } from '../../domain/errors.js';
import { ResourceName } from '../../domain/names.js';
import { CF_VARIABLES, isKnownCfVariable, type CfName } from './cf-variable-table.js';

/**
 * THE mapping of Codefresh's `CF_*` variables to an imagetrail image report, shared by the CLI
 * (`report-image`, from its environment) and the Codefresh-compatible SSE endpoint (from the query string
 * the unchanged client sends). Values are normalised the way Codefresh accepts them: providers in any
 * case, booleans spelled on/off/yes/no/true/false/1/0, integration names as Codefresh allows them (see
 * `integrationName`). Anything not applied produces a warning naming the variable, never its value.
 */

/** The report fields and the variable each comes from. */
export const CF_FIELDS = {
  image: 'CF_IMAGE',
  registryIntegration: 'CF_CONTAINER_REGISTRY_INTEGRATION',
  runtime: 'CF_RUNTIME_NAME',
  gitProvider: 'CF_GIT_PROVIDER',
  gitRepo: 'CF_GIT_REPO',
  gitBranch: 'CF_GIT_BRANCH',
  gitSha: 'CF_GIT_REVISION',
  gitIntegration: 'CF_GIT_INTEGRATION',
  issueTrackingIntegration: 'CF_ISSUE_TRACKING_INTEGRATION',
  jiraProjectPrefix: 'CF_JIRA_PROJECT_PREFIX',
  jiraMessage: 'CF_JIRA_MESSAGE',
  jiraFailOnNotFound: 'CF_JIRA_FAIL_ON_NOT_FOUND',
  workflowName: 'CF_WORKFLOW_NAME',
  workflowUrl: 'CF_WORKFLOW_URL',
  logsUrl: 'CF_LOGS_URL',
  ciType: 'CF_CI_TYPE',
  dockerfile: 'CF_DOCKERFILE_CONTENT',
} as const satisfies Record<string, CfName>;
export type CfField = keyof typeof CF_FIELDS;
export type CfValues = Partial<Record<CfField, string>>;

/** Where the variables came from: the CLI's environment, or the query of Codefresh's client. */
export type CfSide = 'cli' | 'server';

export interface CfNote {
  level: 'info' | 'warn';
  text: string;
}

/** The Dockerfile kept with a build; a larger one is dropped with a warning. */
export const MAX_DOCKERFILE_BYTES = 64 * 1024;

const CF_NAME = /^CF_[A-Z_]+$/;

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** Picks the report values out of `vars` and says what is ignored, by name only. */
export function readCfVariables(
  vars: Readonly<Record<string, string | undefined>>,
  side: CfSide,
): { values: CfValues; notes: CfNote[] } {
  const values: CfValues = {};
  const notes: CfNote[] = [];
  const warn = (text: string) => notes.push({ level: 'warn', text });
  for (const [field, name] of Object.entries(CF_FIELDS) as Array<[CfField, CfName]>) {
    const v = nonEmpty(vars[name]);
    if (v !== undefined) values[field] = v;
  }
  const legacySha = nonEmpty(vars['CF_GIT_SHA']);
  if (legacySha !== undefined) {
    if (values.gitSha === undefined) values.gitSha = legacySha;
    else if (values.gitSha !== legacySha) warn('CF_GIT_SHA is ignored: CF_GIT_REVISION names the commit.');
  }
  const jira = nonEmpty(vars['CF_JIRA_INTEGRATION']);
  if (jira !== undefined && values.issueTrackingIntegration === undefined) {
    values.issueTrackingIntegration = jira;
    warn('CF_JIRA_INTEGRATION is deprecated; use CF_ISSUE_TRACKING_INTEGRATION.');
  }

  const unknown: string[] = [];
  for (const [name, raw] of Object.entries(vars)) {
    if (!CF_NAME.test(name) || nonEmpty(raw) === undefined) continue;
    if (!isKnownCfVariable(name)) {
      unknown.push(name);
      continue;
    }
    const note = ignoredNote(name, side);
    if (note) warn(note);
  }
  if (unknown.length) {
    warn(`${unknown.sort().join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not used by imagetrail.`);
  }
  return { values, notes };
}

/** The warning for a variable that is not applied on this side, or undefined when it is applied. */
function ignoredNote(name: CfName, side: CfSide): string | undefined {
  const v = CF_VARIABLES[name];
  switch (v.kind) {
    case 'report':
      return undefined;
    case 'credential':
      return `${name} is ignored: imagetrail takes credentials from integrations in the shared configuration repository, never from CI variables.`;
    case 'integration-setting':
    case 'not-applied':
      return `${name} is ignored: ${v.meaning}.`;
    case 'client':
      // Codefresh's client applied it already; the CLI has its own flags.
      return side === 'cli'
        ? `${name} is a setting of Codefresh's client; report-image ignores it.`
        : undefined;
    case 'connection':
      if (side === 'cli') {
        return name === 'CF_LOCAL'
          ? `${name} is a setting of Codefresh's client; report-image ignores it.`
          : undefined;
      }
      // The client removes the key and the host from its query; a key that still arrives here is a credential.
      return name === 'CF_API_KEY'
        ? `${name} is ignored in the query: send the token in the authorization header.`
        : undefined;
  }
}

const PROVIDERS = ['github', 'gitlab', 'bitbucket', 'bitbucket-server', 'gerrit'] as const;

/** Codefresh compares providers case-insensitively (`GitHub`, `BITBUCKET_SERVER`). */
export function gitProvider(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const p = v
    .trim()
    .toLowerCase()
    .replace(/[_ ]/g, '-')
    .replace(/^bitbucketserver$/, 'bitbucket-server');
  if ((PROVIDERS as readonly string[]).includes(p)) return p;
  throw new InputError(`CF_GIT_PROVIDER must be one of ${PROVIDERS.join(', ')}, got "${v}"`, {
    hints: ['Any letter case works, e.g. GitHub or BITBUCKET-SERVER.'],
  });
}

/** Codefresh's boolean spellings. */
export function cfBoolean(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(true|1|yes|on|y)$/i.test(v.trim())) return true;
  if (/^(false|0|no|off|n)$/i.test(v.trim())) return false;
  throw new InputError(`${name} must be true or false (or on/off, yes/no, 1/0), got "${v}"`);
}

/**
 * Integration and runtime names as Codefresh allows them (`GHCR_GITHUB_TOKEN_AUTHENTICATION`) mapped to
 * imagetrail's DNS-label names: lowercase, every run of other characters becomes one dash, no dash at the
 * ends, at most 63 characters. A name that is already valid is kept as is.
 */
export function integrationName(v: string | undefined): string | undefined {
  if (v === undefined || ResourceName.safeParse(v).success) return v;
  const mapped = v
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return mapped === '' ? v : mapped;
}

/** `CF_DOCKERFILE_CONTENT` is base64 of the Dockerfile; anything else is dropped with a note. */
export function decodeDockerfile(v: string | undefined, notes: CfNote[]): string | undefined {
  if (v === undefined) return undefined;
  // A '+' may arrive as a space when a query was decoded as form data; base64 itself has no spaces.
  const b64 = v.replace(/ /g, '+').replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
    notes.push({ level: 'warn', text: 'CF_DOCKERFILE_CONTENT is ignored: it is not base64.' });
    return undefined;
  }
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length > MAX_DOCKERFILE_BYTES) {
    notes.push({
      level: 'warn',
      text: `CF_DOCKERFILE_CONTENT is ignored: the Dockerfile is ${bytes.length} bytes, more than ${MAX_DOCKERFILE_BYTES}.`,
    });
    return undefined;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    notes.push({ level: 'warn', text: 'CF_DOCKERFILE_CONTENT is ignored: it is not UTF-8 text.' });
    return undefined;
  }
}

/** Git facts read elsewhere (the CLI's checkout), used where the variables say nothing. */
export type GitFallback = Partial<Record<'repo' | 'branch' | 'sha', string>> & Record<string, unknown>;

/** The image report body (validated later by the report service, like any `POST /api/v1/image-reports`). */
export function cfReportBody(
  values: CfValues,
  notes: CfNote[],
  gitFallback: GitFallback = {},
): Record<string, unknown> {
  const renamed = (field: CfField): string | undefined => {
    const v = values[field];
    const n = integrationName(v);
    if (v !== undefined && n !== v) {
      notes.push({ level: 'info', text: `${CF_FIELDS[field]} "${v}" is looked up as "${n}".` });
    }
    return n;
  };
  const body = {
    image: values.image,
    registryIntegration: renamed('registryIntegration'),
    runtime: renamed('runtime'),
    git: {
      ...gitFallback,
      provider: gitProvider(values.gitProvider),
      repo: values.gitRepo ?? gitFallback.repo,
      branch: values.gitBranch ?? gitFallback.branch,
      sha: values.gitSha ?? gitFallback.sha,
      integration: renamed('gitIntegration'),
    },
    issues: {
      integration: renamed('issueTrackingIntegration'),
      projectPrefix: values.jiraProjectPrefix,
      message: values.jiraMessage,
      failOnNotFound: cfBoolean(values.jiraFailOnNotFound, CF_FIELDS.jiraFailOnNotFound),
    },
    workflow: {
      name: values.workflowName,
      url: values.workflowUrl,
      logsUrl: values.logsUrl,
      ciType: values.ciType,
    },
    dockerfile: decodeDockerfile(values.dockerfile, notes),
  };
  return prune(body) ?? {};
}

/** Drops undefined values and empty objects, so the body carries only what was given. */
export function prune<T>(o: T): T | undefined {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o) as Array<[string, unknown]>) {
    const p = prune(v);
    if (
      p !== undefined &&
      !(typeof p === 'object' && p !== null && !Array.isArray(p) && Object.keys(p).length === 0)
    )
      out[k] = p;
  }
  return Object.keys(out).length ? (out as T) : undefined;
}
