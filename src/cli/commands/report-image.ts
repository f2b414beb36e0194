import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { CheckFailedError, InputError } from '../../domain/errors.js';
import { printJson, stdio, type Output } from '../output.js';
import { chooseLocalGit, describeGitSources } from '../git-source.js';
import type { ApiClient } from '../client.js';
import { clientFor } from './common.js';
import { ReportView } from '../../contract/image-answers.js';
import {
  CF_FIELDS,
  cfReportBody,
  readCfVariables,
  type CfValues,
} from '../../enrichment/codefresh/cf-variables.js';
import { cfClientEnv } from '../../enrichment/codefresh/cf-client-env.js';

/** Each flag and the Codefresh-compatible variable it falls back to (the shared CF_* mapping). */
const FLAGS = CF_FIELDS;

const GIT_FLAG_NAMES = {
  repo: '--git-repo / CF_GIT_REPO',
  branch: '--git-branch / CF_GIT_BRANCH',
  sha: '--git-sha / CF_GIT_REVISION',
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

function value(o: Flags, key: keyof typeof FLAGS, cf: CfValues): string | undefined {
  const v = o[key];
  if (typeof v === 'string' && v !== '') return v;
  if (v === true) return 'true';
  return cf[key];
}

/** Builds the report body from flags, CF_* variables and the local checkout. Exported for tests. */
export async function buildReport(
  o: Flags,
  env: NodeJS.ProcessEnv,
  cwd: string,
  warn: (s: string) => void,
): Promise<Record<string, unknown>> {
  const cf = readCfVariables(env, 'cli');
  const values: CfValues = { ...cf.values };
  for (const key of Object.keys(FLAGS) as Array<keyof typeof FLAGS>) {
    const v = value(o, key, cf.values);
    if (v !== undefined) values[key] = v;
  }
  const image = values.image;
  if (!image)
    throw new InputError('The image to report is required: --image REF or CF_IMAGE.', {
      hints: ['e.g. --image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2'],
    });
  const sha = values.gitSha;
  const given = { repo: values.gitRepo, branch: values.gitBranch, sha };
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
  const body = cfReportBody(values, cf.notes, {
    repo: local.repo,
    branch: local.branch,
    sha: local.sha,
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
  });
  for (const n of cf.notes) warn(`${n.level === 'warn' ? 'warning' : 'note'}: ${n.text}`);
  return body;
}

/** Polls the report until it settles, printing each new step (shared with the GitHub Action). */
export async function waitFor(
  client: ApiClient,
  id: string,
  out: Output,
  timeoutMs: number,
): Promise<ReportView> {
  const deadline = Date.now() + timeoutMs;
  let printed = 0;
  let delay = 200;
  for (;;) {
    const r = await client.call(ReportView, 'GET', `/api/v1/image-reports/${encodeURIComponent(id)}`);
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
    .option('--git-sha <sha>', "commit SHA (CF_GIT_REVISION; default: the checkout's HEAD)")
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
    const client = await clientFor(c, cfClientEnv(process.env));
    const accepted = await client.call(
      ReportView,
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
