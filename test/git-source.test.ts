import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../src/cli/commands/report-image.js';
import { ownerName } from '../src/cli/git-source.js';
import { git } from './helpers/git.js';

// Issue 9 point 9: a CI job running report-image inside another checkout (here: one whose origin is
// imagetrail's own repository) must not put that checkout's commit on the reported image.

let dir: string;
let sha: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'git-source-'));
  await git(dir, 'init', '-q', '-b', 'main');
  await writeFile(join(dir, 'README'), 'x');
  await git(dir, 'add', '.');
  await git(dir, 'commit', '-q', '-m', 'tools commit');
  await git(dir, 'remote', 'add', 'origin', 'https://x-access-token:ghs_t@github.com/Acme/App.git');
  sha = (await git(dir, 'rev-parse', 'HEAD')).trim();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function report(flags: Record<string, unknown>, env: Record<string, string>) {
  const notes: string[] = [];
  const body = await buildReport(flags, { CF_IMAGE: 'reg.example/app:1', ...env }, dir, (s) => notes.push(s));
  return { body, notes: notes.join('\n') };
}

describe('Git facts from the working directory', () => {
  it('are not taken when the report names no repository, and the output says why', async () => {
    const { body, notes } = await report({}, {});
    expect(body['git']).toBeUndefined();
    expect(notes).toMatch(/Git facts: none; local checkout: .* was not used: name the repository/);
  });

  it('are not taken when the checkout is another repository than the one reported', async () => {
    const { body, notes } = await report({}, { CF_GIT_REPO: 'acme/other', CF_GIT_BRANCH: 'main' });
    expect(body['git']).toEqual({ repo: 'acme/other', branch: 'main' });
    expect(notes).toContain('its origin is acme/app, not acme/other');
    expect(notes).toContain('branch from --git-branch / CF_GIT_BRANCH');
  });

  it('are taken when the checkout is the reported repository (URLs compared as owner/name)', async () => {
    const { body, notes } = await report({}, { CF_GIT_REPO: 'git@github.com:acme/app.git' });
    expect(body['git']).toMatchObject({ repo: 'git@github.com:acme/app.git', sha, branch: 'main' });
    expect(notes).toContain('sha from the checkout');
    expect(notes).toContain('repo from --git-repo / CF_GIT_REPO');
  });

  it('are taken with --git-from-cwd or --git-dir, without the remote credentials', async () => {
    for (const flags of [{ gitFromCwd: true }, { gitDir: dir }]) {
      const { body, notes } = await report(flags, {});
      expect(body['git']).toMatchObject({ repo: 'https://github.com/Acme/App.git', sha });
      expect(JSON.stringify(body)).not.toContain('ghs_t');
      expect(notes).toContain('sha from the checkout');
    }
  });

  it('normalises repositories to owner/name', () => {
    expect(ownerName('https://user:pw@github.com/Acme/App.git')).toBe('acme/app');
    expect(ownerName('ssh://git@github.com/acme/app')).toBe('acme/app');
    expect(ownerName('Acme/App')).toBe('acme/app');
    expect(ownerName('not a repo')).toBeUndefined();
  });
});
