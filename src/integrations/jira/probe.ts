import { JiraClient, type JiraAuth } from './client.js';
import {
  runCheck,
  type IntegrationCheck,
  type IntegrationTestResult,
  type TokenProbeContext,
} from '../types/test-result.js';

export interface JiraConnectionInput {
  baseUrl: string;
  auth: JiraAuth;
}

/**
 * Test connection for an `issue.jira` integration: `GET /rest/api/3/myself` (Cloud) or
 * `/rest/api/2/myself` (Server/DC) proves the base URL, the auth kind and the secret, and names the
 * account. Only invalid input (a malformed URL, an empty secret) throws.
 */
export async function testJiraConnection(
  input: JiraConnectionInput,
  ctx: TokenProbeContext,
  opts: { onCheck?: (c: IntegrationCheck) => void } = {},
): Promise<IntegrationTestResult> {
  const client = new JiraClient({
    baseUrl: input.baseUrl,
    auth: input.auth,
    redactor: ctx.redactor,
    ...(ctx.requestTimeoutMs !== undefined ? { timeoutMs: ctx.requestTimeoutMs } : {}),
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    retry: { maxAttempts: 2, maxWaitMs: 5_000 },
  });
  const host = new URL(client.baseUrl).host;
  const path = input.auth.kind === 'cloud' ? '/rest/api/3/myself' : '/rest/api/2/myself';
  const { check, value } = await runCheck(`jira:GET ${path}`, ctx.redactor, async () => {
    const me = await client.myself();
    return {
      value: me,
      message: `authenticated to ${host} as ${me.displayName}${me.name ? ` (${me.name})` : ''}`,
    };
  });
  opts.onCheck?.(check);
  return {
    ok: check.ok,
    runtime: ctx.runtime,
    checks: [check],
    ...(value
      ? {
          identity: {
            displayName: value.displayName,
            ...(value.accountId ? { accountId: value.accountId } : {}),
            ...(value.name ? { name: value.name } : {}),
          },
        }
      : {}),
  };
}
