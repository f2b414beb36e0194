import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface LocalGitFacts {
  repo?: string;
  branch?: string;
  sha?: string;
  message?: string;
  author?: { name?: string; email?: string };
  committer?: { name?: string; email?: string };
  time?: string;
  parents?: string[];
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await exec('git', args, {
      cwd,
      timeout: 5000,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    return stdout;
  } catch {
    return undefined;
  }
}

/**
 * CI checkouts often carry a token in the remote URL (`https://x-access-token:…@github.com/o/r.git`); only
 * the host and path travel on.
 */
export function stripCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

/**
 * What the local checkout says about a commit (HEAD, or `sha` when given and present): SHA, parents,
 * author, committer, time, message, branch and origin. Nothing when `cwd` is not a Git work tree.
 */
export async function readLocalGit(cwd: string, sha?: string): Promise<LocalGitFacts> {
  const rev = sha ?? 'HEAD';
  const SEP = '\u001f';
  const out = await git(cwd, [
    'log',
    '-1',
    `--format=%H${SEP}%P${SEP}%an${SEP}%ae${SEP}%cn${SEP}%ce${SEP}%cI${SEP}%B`,
    rev,
    '--',
  ]);
  if (out === undefined) return {};
  const [h, p, an, ae, cn, ce, ci, ...body] = out.split(SEP);
  const facts: LocalGitFacts = {
    sha: h?.trim(),
    parents: (p ?? '').trim().split(/\s+/).filter(Boolean),
    author: { name: an, email: ae },
    committer: { name: cn, email: ce },
    message: body.join(SEP).trim(),
  };
  if (ci?.trim()) facts.time = ci.trim();
  const branch = (await git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']))?.trim();
  if (branch && branch !== 'HEAD') facts.branch = branch;
  const origin = (await git(cwd, ['remote', 'get-url', 'origin']))?.trim();
  if (origin) facts.repo = stripCredentials(origin);
  return facts;
}
