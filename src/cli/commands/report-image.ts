import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { CheckFailedError, InputError } from '../../domain/errors.js';
import { printJson, stdio, type Output } from '../output.js';
import { chooseLocalGit, describeGitSources } from '../git-source.js';
import type { ApiClient } from '../client.js';
import { clientFor } from './common.js';

/** Each flag and the Codefresh-compatible variable it falls back to. */
const FLAGS = {
  image: 'CF_IMAGE',
  registryIntegration: 'CF_CONTAINER_REGISTRY_INTEGRATION',
  runtime: 'CF_RUNTIME_NAME',
  gitProvider: 'CF_GIT_PROVIDER',
  gitRepo: 'CF_GIT_REPO',
  gitBranch: 'CF_GIT_BRANCH',
  gitSha: 'CF_GIT_SHA',
  gitIntegration: 'CF_GIT_INTEGRATION',
  issueTrackingIntegration: 'CF_ISSUE_TRACKING_INTEGRATION',
  jiraProjectPrefix: 'CF_JIRA_PROJECT_PREFIX',
  jiraMessage: 'CF_JIRA_MESSAGE',
  jiraFailOnNotFound: 'CF_JIRA_FAIL_ON_NOT_FOUND',
  workflowName: 'CF_WORKFLOW_NAME',
  workflowUrl: 'CF_WORKFLOW_URL',
  logsUrl: 'CF_LOGS_URL',
  ciType: 'CF_CI_TYPE',
} as const;

/** Codefresh variables that pass credentials or settings imagetrail keeps in integrations instead. */
const IGNORED = [
  'CF_REGISTRY_USERNAME',
  'CF_REGISTRY_PASSWORD',
  'CF_REGISTRY_DOMAIN',
  'CF_DOCKERHUB_USERNAME',
  'CF_DOCKERHUB_PASSWORD',
  'CF_GOOGLE_JSON_KEY',
  'CF_AWS_ROLE',
  'CF_GITHUB_TOKEN',
  'CF_GITLAB_TOKEN',
  'CF_BITBUCKET_PASSWORD',
  'CF_JIRA_API_TOKEN',
  'CF_JIRA_SERVER_PAT',
  'CF_HOST',
];

const GIT_FLAG_NAMES = {
  repo: '--git-repo / CF_GIT_REPO',
  branch: '--git-branch / CF_GIT_BRANCH',
  sha: '--git-sha / CF_GIT_SHA',
};

type Flags = Partial<Record<keyof typeof FLAGS, string | boolean>> & {
  wait?: boolean;
  waitTimeout?: string;
  json?: boolean;
  gitDir?: string;
  gitFromCwd?: boolean;
  localGit?: boolean;
  idempotencyKey?: string;
};

interface ReportView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  image: string;
  error?: { message: string; errorClass?: string };
  steps: Array<{ name: string; status: string; message?: string; at: string }>;
  result?: { imageId: string; digest: string };
}

function value(o: Flags, key: keyof typeof FLAGS, env: NodeJS.ProcessEnv): string | undefined {
  const v = o[key];
  if (typeof v === 'string' && v !== '') return v;
  if (v === true) return 'true';
  const e = env[FLAGS[key]];
  return e === undefined || e === '' ? undefined : e;
}

function bool(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new InputError(`${name} must be true or false, got "${v}"`);
}

function prune<T>(o: T): T | undefined {
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

/** Builds the report body from flags, CF_* variables and the local checkout. Exported for tests. */
export async function buildReport(
  o: Flags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  warn: (s: string) => void,
): Promise<Record<string, unknown>> {
  const image = value(o, 'image', env);
  if (!image)
    throw new InputError('The image to report is required: --image REF or CF_IMAGE.', {
      hints: ['e.g. --image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2'],
    });
  for (const name of IGNORED) {
    if (env[name])
      warn(
        `warning: ${name} is ignored: imagetrail takes credentials from integrations in the shared configuration repository, never from CI variables.`,
      );
  }
  const sha = value(o, 'gitSha', env);
  const given = { repo: value(o, 'gitRepo', env), branch: value(o, 'gitBranch', env), sha };
  const choice = await chooseLocalGit(
    {
      ...(o.gitDir !== undefined ? { gitDir: o.gitDir } : {}),
      ...(o.gitFromCwd ? { gitFromCwd: true } : {}),
      ...(o.localGit === false ? { localGit: false } : {}),
      ...(given.repo !== undefined ? { repo: given.repo } : {}),
      ...(sha !== undefined ? { sha } : {}),
    },
    cwd,
  );
  const local = choice.facts;
  warn(describeGitSources(given, GIT_FLAG_NAMES, choice));
  const issueIntegration = value(o, 'issueTrackingIntegration', env) ?? env['CF_JIRA_INTEGRATION'];
  if (!value(o, 'issueTrackingIntegration', env) && env['CF_JIRA_INTEGRATION']) {
    warn('warning: CF_JIRA_INTEGRATION is deprecated; use CF_ISSUE_TRACKING_INTEGRATION.');
  }
  const body = {
    image,
    registryIntegration: value(o, 'registryIntegration', env),
    runtime: value(o, 'runtime', env),
    git: {
      provider: value(o, 'gitProvider', env),
      repo: value(o, 'gitRepo', env) ?? local.repo,
      branch: value(o, 'gitBranch', env) ?? local.branch,
      sha: sha ?? local.sha,
      // Commit details only when they describe the reported commit.
      ...(local.sha && (!sha || local.sha.startsWith(sha))
        ? {
            message: local.message,
            author: local.author,
            committer: local.committer,
            time: local.time,
            parents: local.parents,
          }
        : {}),
      integration: value(o, 'gitIntegration', env),
    },
    issues: {
      integration: issueIntegration,
      projectPrefix: value(o, 'jiraProjectPrefix', env),
      message: value(o, 'jiraMessage', env),
      failOnNotFound: bool(
        value(o, 'jiraFailOnNotFound', env),
        '--jira-fail-on-not-found / CF_JIRA_FAIL_ON_NOT_FOUND',
      ),
    },
    workflow: {
      name: value(o, 'workflowName', env),
      url: value(o, 'workflowUrl', env),
      logsUrl: value(o, 'logsUrl', env),
      ciType: value(o, 'ciType', env),
    },
  };
  return prune(body) ?? { image };
}

async function waitFor(client: ApiClient, id: string, out: Output, timeoutMs: number): Promise<ReportView> {
  const deadline = Date.now() + timeoutMs;
  let printed = 0;
  let delay = 200;
  for (;;) {
    const r = await client.request<ReportView>('GET', `/api/v1/image-reports/${encodeURIComponent(id)}`);
    if (!out.json) {
      for (const s of r.steps.slice(printed))
        out.err(`  ${s.status === 'failed' ? '✘' : '✔'} ${s.name.padEnd(14)} ${s.message ?? ''}`);
    }
    printed = r.steps.length;
    if (r.status === 'succeeded' || r.status === 'failed') return r;
    if (Date.now() > deadline) {
      throw new CheckFailedError(
        `Report ${id} is still ${r.status} after ${Math.round(timeoutMs / 1000)} s.`,
        r,
        {
          hints: [`It keeps going on the server; check later with: imagetrail reports show ${id}`],
        },
      );
    }
    await sleep(delay);
    delay = Math.min(1000, delay * 1.5);
  }
}

export function registerReportImage(program: Command): void {
  const cmd = program
    .command('report-image')
    .description(
      'report an image pushed by CI; the server enriches it with registry, build, Git and Jira facts',
    )
    .option('--image <ref>', 'the image reference (CF_IMAGE)')
    .option(
      '--registry-integration <name>',
      'registry integration to look the image up with (CF_CONTAINER_REGISTRY_INTEGRATION)',
    )
    .option('--runtime <name>', "runtime that does the work (CF_RUNTIME_NAME; default: the server's own)")
    .option(
      '--git-provider <provider>',
      'github, gitlab, bitbucket, bitbucket-server, gerrit (CF_GIT_PROVIDER)',
    )
    .option(
      '--git-repo <repo>',
      'owner/repo or clone URL (CF_GIT_REPO); the current directory is read for Git facts only when its origin is this repository',
    )
    .option('--git-branch <branch>', "branch (CF_GIT_BRANCH; default: the checkout's branch)")
    .option('--git-sha <sha>', "commit SHA (CF_GIT_SHA; default: the checkout's HEAD)")
    .option('--git-integration <name>', 'git.github integration for pull requests (CF_GIT_INTEGRATION)')
    .option('--git-dir <dir>', 'read Git facts from this checkout')
    .option(
      '--git-from-cwd',
      "read Git facts from the current directory's checkout even when --git-repo / CF_GIT_REPO does not name it",
    )
    .option('--no-local-git', 'do not read Git facts from any local checkout')
    .option('--issue-tracking-integration <name>', 'issue.jira integration (CF_ISSUE_TRACKING_INTEGRATION)')
    .option('--jira-project-prefix <prefixes>', 'PROJ,OPS or /regex/flags (CF_JIRA_PROJECT_PREFIX)')
    .option('--jira-message <text>', 'text to find issue keys in (CF_JIRA_MESSAGE)')
    .option(
      '--jira-fail-on-not-found [bool]',
      'fail when a referenced issue does not exist (CF_JIRA_FAIL_ON_NOT_FOUND)',
    )
    .option('--workflow-name <name>', 'CI workflow or pipeline name (CF_WORKFLOW_NAME)')
    .option('--workflow-url <url>', 'link to the CI run (CF_WORKFLOW_URL)')
    .option('--logs-url <url>', 'link to the CI logs (CF_LOGS_URL)')
    .option('--ci-type <type>', 'github-actions, gitlab, jenkins, … (CF_CI_TYPE)')
    .option('--idempotency-key <key>', 'the same key twice is one report (safe CI retries)')
    .option('--wait', 'wait until the image is enriched, showing each step; exit 1 if it fails')
    .option('--wait-timeout <seconds>', 'give up waiting after this long', '300')
    .option('--json', 'print the report as JSON');
  cmd.action(async (o: Flags, c: Command) => {
    const out = stdio(Boolean(o.json));
    const body = await buildReport(o, process.env, process.cwd(), (s) => out.err(s));
    // CF_API_KEY is how the tool users migrate from passes its token.
    const env = { ...process.env };
    if (!env['IMAGETRAIL_TOKEN'] && env['CF_API_KEY']) env['IMAGETRAIL_TOKEN'] = env['CF_API_KEY'];
    const client = await clientFor(c, env);
    const accepted = await client.request<ReportView>(
      'POST',
      '/api/v1/image-reports',
      body,
      o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : undefined,
    );
    if (!o.wait) {
      if (out.json) return printJson(out, accepted);
      out.out(
        `Report ${accepted.id} accepted for ${String(body['image'])}; follow it with --wait or: imagetrail reports show ${accepted.id}`,
      );
      return;
    }
    const seconds = Number(o.waitTimeout);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new InputError('--wait-timeout must be a positive number of seconds');
    if (!out.json) out.err(`Report ${accepted.id} accepted; enriching ${String(body['image'])}…`);
    const done = await waitFor(client, accepted.id, out, seconds * 1000);
    if (out.json) printJson(out, done);
    if (done.status === 'failed') {
      throw new CheckFailedError(
        `Enrichment of ${done.image} failed: ${done.error?.message ?? 'unknown reason'}`,
        done,
      );
    }
    if (!out.json)
      out.out(`Enriched ${done.image}: ${done.result?.digest ?? ''} (image ${done.result?.imageId ?? '?'})`);
  });
}
