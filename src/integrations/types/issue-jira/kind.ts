import * as z from 'zod';
import { SealedValue } from '../../../contract/sealed-value.js';
import { isAppError } from '../../../domain/errors.js';
import { parseKeyMatcher } from '../../../domain/issue-keys.js';
import { EndpointUrl } from '../../../domain/names.js';
import { defineIntegrationType } from '../definition.js';

export const JiraCloudAuth = z
  .object({
    kind: z.literal('cloud'),
    /** The Atlassian account the API token belongs to; not a secret. */
    email: z.email(),
    apiToken: SealedValue,
  })
  .strict();

export const JiraServerAuth = z
  .object({
    kind: z.literal('server'),
    /** Server / Data Center personal access token (Jira 8.14+). */
    pat: SealedValue,
  })
  .strict();

/** A comma list of project keys or `/regex/flags`, checked with the same parser enrichment uses. */
export const JiraProjectPrefixes = z.string().superRefine((spec, ctx) => {
  try {
    parseKeyMatcher(spec);
  } catch (err) {
    if (!isAppError(err)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

/** `spec.jira` of an Integration of type `issue.jira`. */
export const JiraSpec = z
  .object({
    /** https://SITE.atlassian.net, or the Server/DC base URL including its context path. */
    baseUrl: EndpointUrl,
    auth: z.discriminatedUnion('kind', [JiraCloudAuth, JiraServerAuth]),
    /** Default project prefixes; CI's `--jira-project-prefix` / `CF_JIRA_PROJECT_PREFIX` wins. */
    projectPrefixes: JiraProjectPrefixes.optional(),
    /** Mirrors `CF_JIRA_FAIL_ON_NOT_FOUND`: fail the report when a referenced issue does not exist. */
    failOnNotFound: z.boolean().optional(),
  })
  .strict();
export type JiraSpec = z.infer<typeof JiraSpec>;

/** `issue.jira`: issues named in commits, from Jira Cloud (email + API token) or Server/DC (PAT). */
export const issueJiraKind = defineIntegrationType({
  type: 'issue.jira',
  section: 'jira',
  title: 'Jira',
  summary: 'Issues named in commits, from Jira Cloud (email + API token) or Server/Data Center (PAT).',
  spec: JiraSpec,
  endpoints: [{ path: 'baseUrl' }],
  mode: { path: 'auth.kind' },
  // HTTPS with a token: nothing a runtime kind or version could lack.
  runtimeRule: () => undefined,
  availabilityText: 'Every runtime.',
});
