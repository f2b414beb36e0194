import * as z from 'zod';
import { SealedValue } from '../../../contract/sealed-value.js';
import { EndpointUrl } from '../../../domain/names.js';

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

/**
 * A comma list of project keys or `/regex/flags`. The stored spec checks it with the parser enrichment uses
 * (config-repo applies the definition's `formats`); that parser (RE2) stays out of the dashboard.
 */
export const JiraProjectPrefixesText = z.string();

/** `spec.jira` of an Integration of type `issue.jira`. */
export const JiraSpec = z
  .object({
    /** https://SITE.atlassian.net, or the Server/DC base URL including its context path. */
    baseUrl: EndpointUrl,
    auth: z.discriminatedUnion('kind', [JiraCloudAuth, JiraServerAuth]),
    /** Default project prefixes; CI's `--jira-project-prefix` / `CF_JIRA_PROJECT_PREFIX` wins. */
    projectPrefixes: JiraProjectPrefixesText.optional(),
    /** Mirrors `CF_JIRA_FAIL_ON_NOT_FOUND`: fail the report when a referenced issue does not exist. */
    failOnNotFound: z.boolean().optional(),
  })
  .strict();
export type JiraSpec = z.infer<typeof JiraSpec>;
