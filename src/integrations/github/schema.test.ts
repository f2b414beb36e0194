import { describe, expect, it } from 'vitest';
import { Commit, PullRequest, PullRequestList } from './schema.js';

const commit = {
  sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
  node_id: 'MDY6Q29tbWl0',
  html_url: 'https://github.com/octo/api/commit/6dcb09b5b57875f334f61aebed695e2e4193db5e',
  commit: {
    author: { name: 'Mona Lisa', email: 'mona@example.com', date: '2024-05-01T10:00:00Z' },
    committer: { name: 'GitHub', email: 'noreply@github.com', date: '2024-05-01T10:05:00Z' },
    message: 'PROJ-1: fix login\n\nLonger body',
    verification: { verified: true },
  },
  author: { login: 'mona', id: 1 },
  committer: null,
  parents: [{ sha: 'abc' }],
  stats: { total: 3 },
};

const pull = {
  number: 42,
  title: 'Fix login',
  state: 'closed',
  html_url: 'https://github.com/octo/api/pull/42',
  user: { login: 'mona', id: 1 },
  merged_at: '2024-05-02T00:00:00Z',
  head: { ref: 'feature/PROJ-1', sha: 'x' },
  base: { ref: 'main', sha: 'y' },
  labels: [],
};

describe('Commit', () => {
  it('maps the facts enrichment shows and ignores the rest', () => {
    expect(Commit.parse(commit)).toEqual({
      sha: commit.sha,
      message: 'PROJ-1: fix login\n\nLonger body',
      url: commit.html_url,
      author: { name: 'Mona Lisa', email: 'mona@example.com', date: '2024-05-01T10:00:00Z', login: 'mona' },
      committer: { name: 'GitHub', email: 'noreply@github.com', date: '2024-05-01T10:05:00Z', login: null },
    });
  });

  it('refuses a payload without a message', () => {
    expect(Commit.safeParse({ ...commit, commit: { ...commit.commit, message: undefined } }).success).toBe(
      false,
    );
  });
});

describe('PullRequest', () => {
  it.each([
    ['closed', '2024-05-02T00:00:00Z', 'merged'],
    ['closed', null, 'closed'],
    ['open', null, 'open'],
  ])('state %s with merged_at %s is %s', (state, mergedAt, want) => {
    expect(PullRequest.parse({ ...pull, state, merged_at: mergedAt }).state).toBe(want);
  });

  it('maps refs, author and URL; a deleted author is null', () => {
    expect(PullRequest.parse({ ...pull, user: null })).toEqual({
      number: 42,
      title: 'Fix login',
      state: 'merged',
      url: 'https://github.com/octo/api/pull/42',
      author: null,
      mergedAt: '2024-05-02T00:00:00Z',
      headRef: 'feature/PROJ-1',
      baseRef: 'main',
    });
  });

  it('parses a list, empty included', () => {
    expect(PullRequestList.parse([])).toEqual([]);
    expect(PullRequestList.parse([pull, { ...pull, number: 43 }]).map((p) => p.number)).toEqual([42, 43]);
  });
});
