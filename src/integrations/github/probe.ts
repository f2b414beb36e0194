import { GitHubClient } from './client.js';
import {
  runCheck,
  type IntegrationCheck,
  type IntegrationTestResult,
  type TokenProbeContext,
} from '../types/test-result.js';

export interface GitHubConnectionInput {
  apiUrl?: string;
  token: string;
}

/**
 * Test connection for a `git.github` integration: `GET /user` with the token proves the API URL and the
 * token together, and names the account. Classic tokens also list their scopes, which lets the test warn
 * when private repositories will not be readable. Only invalid input (a malformed URL) throws.
 */
export async function testGitHubConnection(
  input: GitHubConnectionInput,
  ctx: TokenProbeContext,
  opts: { onCheck?: (c: IntegrationCheck) => void } = {},
): Promise<IntegrationTestResult> {
  const client = new GitHubClient({
    token: input.token,
    redactor: ctx.redactor,
    ...(input.apiUrl ? { apiUrl: input.apiUrl } : {}),
    ...(ctx.requestTimeoutMs !== undefined ? { timeoutMs: ctx.requestTimeoutMs } : {}),
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    // A test is interactive: one retry at most, and never a long wait on a rate limit.
    retry: { maxAttempts: 2, maxWaitMs: 5_000 },
  });
  const host = new URL(client.apiUrl).host;
  const { check, value } = await runCheck('github:GET /user', ctx.redactor, async () => {
    const me = await client.whoami();
    const hints: string[] = [];
    if (me.scopes && !me.scopes.includes('repo')) {
      hints.push(
        'This classic token has no "repo" scope: pull requests of private repositories will not be readable.',
      );
    }
    return {
      value: me,
      message: `authenticated to ${host} as ${me.login}${me.scopes ? ` (scopes: ${me.scopes.join(', ') || 'none'})` : ''}`,
      hints,
    };
  });
  opts.onCheck?.(check);
  return {
    ok: check.ok,
    runtime: ctx.runtime,
    checks: [check],
    ...(value ? { identity: { login: value.login, ...(value.name ? { name: value.name } : {}) } } : {}),
  };
}
