import { mkdtemp, rm } from 'node:fs/promises';
import { InputError } from '../src/domain/errors.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigSnapshot, IntegrationEntry } from '../src/config-repo/snapshot.js';
import type { IntegrationV1alpha1 } from '../src/config-repo/kinds/integration-v1alpha1.js';
import { sealFor } from '../src/integrations/sealed-secrets.js';
import { handlerFor } from '../src/integrations/types/index.js';
import { KeyStore } from '../src/config-repo/keys.js';
import { Redactor } from '../src/logging/redactor.js';
import { GitHubGitEnricher } from '../src/enrichment/git-enricher.js';
import { JiraIssueEnricher } from '../src/enrichment/issue-enricher.js';
import type { ImageReportInput } from '../src/contract/images.js';
import { startFakeGitHub, type FakeGitHub } from './peers/fake-github.js';
import { startFakeJira, type FakeJira } from './peers/fake-jira.js';

// The GitHub and Jira enrichers against the fake peers, with secrets sealed by real age keys: the runtime's
// own key opens them; a runtime without a key of its own uses the control plane's.

const GH_TOKEN = 'ghp_enricherDistinctiveToken01';
const JIRA_PAT = 'jira-pat-enricher-distinctive-01';
const SHA = 'a'.repeat(40);

let github: FakeGitHub;
let jira: FakeJira;
let dataDir: string;
let keys: KeyStore;

function snapshotOf(...entries: IntegrationEntry[]): ConfigSnapshot {
  return { commit: null, runtimes: new Map(), integrations: entries, problems: [], files: new Map() };
}

/** Seals a GitHub token bound to integration `name` and its API URL, as imagetrail does (ADR 0006). */
function sealGitHub(name: string, apiUrl: string, token: string, recipients: string[]) {
  return sealFor(handlerFor('git.github'), name, { apiUrl }, recipients)(token, 'token');
}

/** Seals a Jira Server PAT bound to integration `name` and its base URL. */
function sealJiraPat(name: string, baseUrl: string, pat: string, recipients: string[]) {
  return sealFor(
    handlerFor('issue.jira'),
    name,
    { baseUrl, auth: { kind: 'server' } },
    recipients,
  )(pat, 'auth.pat');
}

function entry(name: string, spec: IntegrationV1alpha1['spec'], runtime?: string): IntegrationEntry {
  return {
    name,
    placement: runtime ? { scope: 'runtime', runtime } : { scope: 'all' },
    file: runtime
      ? `resources/runtimes/${runtime}/${name}.yaml`
      : `resources/all-runtimes-all-clusters/${name}.yaml`,
    resource: { apiVersion: 'imagetrail.dev/v1alpha1', kind: 'Integration', metadata: { name }, spec },
  };
}

beforeAll(async () => {
  [github, jira] = await Promise.all([
    startFakeGitHub({
      token: GH_TOKEN,
      repos: {
        'acme/app': {
          commits: [
            {
              sha: SHA,
              message: 'PROJ-1 fix',
              author: { name: 'A', email: 'a@x', date: '2024-01-01T00:00:00Z' },
            },
          ],
          pulls: [
            {
              number: 7,
              title: 'Fix it',
              state: 'closed',
              mergedAt: '2024-01-02T00:00:00Z',
              user: 'alice',
              head: 'fix',
              base: 'main',
              commits: [SHA],
            },
            { number: 9, title: 'Other', state: 'open', head: 'x', base: 'main', commits: ['b'.repeat(40)] },
          ],
        },
      },
    }),
    startFakeJira({
      flavor: 'server',
      pat: JIRA_PAT,
      issues: [
        { key: 'PROJ-1', summary: 'Broken', status: 'Done', statusCategory: 'done', assignee: 'Ann Lee' },
        {
          key: 'OPS-2',
          summary: 'Deploy',
          status: 'In Progress',
          statusCategory: 'indeterminate',
          assignee: null,
        },
      ],
    }),
  ]);
  dataDir = await mkdtemp(join(tmpdir(), 'imagetrail-enrichers-'));
  keys = new KeyStore(dataDir);
});

afterAll(async () => {
  await Promise.all([github?.stop(), jira?.stop()]);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('GitHubGitEnricher', () => {
  it("returns the commit's pull requests, opening the token with the runtime's key", async () => {
    const local = await keys.getOrCreate('local');
    const cp = await keys.getOrCreate('control-plane');
    const spec = {
      type: 'git.github' as const,
      github: {
        apiUrl: github.apiUrl,
        token: await sealGitHub('gh', github.apiUrl, GH_TOKEN, [local.recipient, cp.recipient]),
      },
    };
    const redactor = new Redactor();
    const enricher = new GitHubGitEnricher({ keys, redactor });
    const snap = snapshotOf(entry('gh', spec));
    const prs = await enricher.pullRequests(snap, 'local', 'gh', {
      repo: 'https://github.com/acme/app.git',
      sha: SHA,
    });
    expect(prs).toEqual([
      {
        number: 7,
        title: 'Fix it',
        url: 'https://github.example/acme/app/pull/7',
        state: 'merged',
        author: 'alice',
        mergedAt: '2024-01-02T00:00:00Z',
      },
    ]);
    expect(redactor.redact(`token ${GH_TOKEN}`)).not.toContain(GH_TOKEN);
    // No repo or SHA: nothing to ask.
    expect(await enricher.pullRequests(snap, 'local', 'gh', { branch: 'main' })).toEqual([]);
    // A hosted runtime without a key file of its own opens it with the control plane's key.
    expect(await enricher.pullRequests(snap, 'cloud', 'gh', { repo: 'acme/app', sha: SHA })).toHaveLength(1);
  });

  it('refuses an integration of another type and a name the runtime cannot see', async () => {
    const enricher = new GitHubGitEnricher({ keys, redactor: new Redactor() });
    const snap = snapshotOf(
      entry('tickets', {
        type: 'issue.jira',
        jira: {
          baseUrl: jira.baseUrl,
          auth: {
            kind: 'server',
            pat: await sealJiraPat('tickets', jira.baseUrl, JIRA_PAT, [
              (await keys.getOrCreate('local')).recipient,
            ]),
          },
        },
      }),
    );
    await expect(
      enricher.pullRequests(snap, 'local', 'tickets', { repo: 'acme/app', sha: SHA }),
    ).rejects.toThrow(/git\.github/);
    await expect(
      enricher.pullRequests(snap, 'local', 'nope', { repo: 'acme/app', sha: SHA }),
    ).rejects.toThrow(/no Git integration named "nope"/);
  });

  it('a token not sealed for the runtime nor the control plane says how to re-seal it', async () => {
    const stranger = await (await import('../src/config-repo/sealing.js')).generateIdentity();
    const spec = {
      type: 'git.github' as const,
      github: {
        apiUrl: github.apiUrl,
        token: await sealGitHub('gh', github.apiUrl, GH_TOKEN, [stranger.recipient]),
      },
    };
    const enricher = new GitHubGitEnricher({ keys, redactor: new Redactor() });
    await expect(
      enricher.pullRequests(snapshotOf(entry('gh', spec)), 'local', 'gh', { repo: 'acme/app', sha: SHA }),
    ).rejects.toThrow(/not sealed for runtime "local"/);
  });
});

describe('JiraIssueEnricher', () => {
  async function jiraSnap(extra: { projectPrefixes?: string; failOnNotFound?: boolean } = {}) {
    const local = await keys.getOrCreate('local');
    return snapshotOf(
      entry('tickets', {
        type: 'issue.jira',
        jira: {
          baseUrl: jira.baseUrl,
          auth: {
            kind: 'server',
            pat: await sealJiraPat('tickets', jira.baseUrl, JIRA_PAT, [local.recipient]),
          },
          ...extra,
        },
      }),
    );
  }
  const report = (issues: ImageReportInput['issues'], git?: ImageReportInput['git']): ImageReportInput => ({
    image: 'x',
    issues: { integration: 'tickets', ...issues },
    ...(git ? { git } : {}),
  });

  it('finds keys in the Jira message, the commit message and the branch, and fetches them', async () => {
    const enricher = new JiraIssueEnricher({ keys, redactor: new Redactor() });
    const found = await enricher.issues(
      await jiraSnap({ projectPrefixes: 'PROJ,OPS' }),
      'local',
      report({ message: 'ships proj-1' }),
      { message: 'fix PROJ-1 and more', branch: 'feature/OPS-2_deploy' },
    );
    expect(found).toEqual([
      {
        key: 'PROJ-1',
        title: 'Broken',
        status: 'Done',
        statusCategory: 'done',
        assignee: 'Ann Lee',
        url: `${jira.baseUrl}/browse/PROJ-1`,
      },
      {
        key: 'OPS-2',
        title: 'Deploy',
        status: 'In Progress',
        statusCategory: 'indeterminate',
        url: `${jira.baseUrl}/browse/OPS-2`,
      },
    ]);
  });

  it("the report's prefix wins over the integration's default", async () => {
    const enricher = new JiraIssueEnricher({ keys, redactor: new Redactor() });
    const found = await enricher.issues(
      await jiraSnap({ projectPrefixes: 'PROJ,OPS' }),
      'local',
      report({ projectPrefix: 'OPS' }),
      { message: 'PROJ-1 OPS-2' },
    );
    expect(found.map((i) => i.key)).toEqual(['OPS-2']);
  });

  it("failOnNotFound: the report wins over the integration's default", async () => {
    const enricher = new JiraIssueEnricher({ keys, redactor: new Redactor() });
    const snap = await jiraSnap({ projectPrefixes: 'PROJ', failOnNotFound: true });
    await expect(enricher.issues(snap, 'local', report({}), { message: 'PROJ-1 PROJ-404' })).rejects.toThrow(
      /PROJ-404/,
    );
    const lenient = await enricher.issues(snap, 'local', report({ failOnNotFound: false }), {
      message: 'PROJ-1 PROJ-404',
    });
    expect(lenient.map((i) => i.key)).toEqual(['PROJ-1']);
  });

  it('a hand-edited base URL that may not carry credentials is refused before anything is sent', async () => {
    // Issue 8: the YAML validation reports it (config status); this is the defence in depth behind it.
    const local = await keys.getOrCreate('local');
    const enricher = new JiraIssueEnricher({ keys, redactor: new Redactor() });
    const before = jira.requests.length;
    for (const baseUrl of ['http://example.com/jira', 'https://169.254.169.254']) {
      // Bound to that very URL, so the endpoint rule (not the binding) is what refuses it.
      const pat = await sealJiraPat('tickets', baseUrl, JIRA_PAT, [local.recipient]);
      const snap = snapshotOf(
        entry('tickets', {
          type: 'issue.jira',
          jira: { baseUrl, auth: { kind: 'server', pat }, projectPrefixes: 'PROJ' },
        }),
      );
      await expect(enricher.issues(snap, 'local', report({}), { message: 'PROJ-1' })).rejects.toBeInstanceOf(
        InputError,
      );
    }
    expect(jira.requests.length).toBe(before);
  });

  it('without any prefix it says where to set one; no keys means no Jira call', async () => {
    const enricher = new JiraIssueEnricher({ keys, redactor: new Redactor() });
    await expect(
      enricher.issues(await jiraSnap(), 'local', report({}), { message: 'PROJ-1' }),
    ).rejects.toThrow(/project prefix/);
    const before = jira.requests.length;
    expect(
      await enricher.issues(await jiraSnap({ projectPrefixes: 'PROJ' }), 'local', report({}), {
        message: 'no keys',
      }),
    ).toEqual([]);
    expect(jira.requests.length).toBe(before);
  });
});
