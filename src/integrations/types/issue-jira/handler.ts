import * as z from 'zod';
import { InputError, isAppError } from '../../../domain/errors.js';
import { parseKeyMatcher } from '../../../domain/issue-keys.js';
import { EndpointUrl } from '../../../domain/names.js';
import { defineHandler, dropUndefined } from '../handler.js';
import { type JiraSpec } from './kind.js';
import { issueJiraDefinition } from './definition.js';

/** A comma list of project keys or `/regex/flags`, checked with the same parser enrichment uses. */
const JiraProjectPrefixes = z.string().superRefine((spec, ctx) => {
  try {
    parseKeyMatcher(spec);
  } catch (err) {
    if (!isAppError(err)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
});

const Secret = z.string().trim().min(1, 'must not be empty').max(1024);

const CloudAuthInput = z.object({ kind: z.literal('cloud'), email: z.email(), apiToken: Secret }).strict();
const ServerAuthInput = z.object({ kind: z.literal('server'), pat: Secret }).strict();

/** Create: the API token or PAT in clear, once. */
export const JiraInput = z
  .object({
    baseUrl: EndpointUrl,
    auth: z.discriminatedUnion('kind', [CloudAuthInput, ServerAuthInput], {
      error: 'auth.kind must be "cloud" (email + API token) or "server" (personal access token)',
    }),
    projectPrefixes: JiraProjectPrefixes.optional(),
    failOnNotFound: z.boolean().optional(),
  })
  .strict();
export type JiraInput = z.infer<typeof JiraInput>;

/**
 * Edit: only what changes. Within `auth`, the same kind may leave its secret out to keep the stored one; a
 * kind switch needs the new kind's full settings. `null` clears an optional setting.
 */
export const JiraPatch = z
  .object({
    baseUrl: EndpointUrl.optional(),
    auth: z
      .discriminatedUnion('kind', [
        CloudAuthInput.partial({ email: true, apiToken: true }),
        ServerAuthInput.partial({ pat: true }),
      ])
      .optional(),
    projectPrefixes: JiraProjectPrefixes.nullable().optional(),
    failOnNotFound: z.boolean().nullable().optional(),
  })
  .strict();
export type JiraPatch = z.infer<typeof JiraPatch>;

/** `issue.jira`: issues named in commits, from Jira Cloud (email + API token) or Server/DC (PAT). */
export const issueJira = defineHandler<'issue.jira', JiraInput, JiraPatch, JiraSpec>(issueJiraDefinition, {
  createInput: JiraInput,
  patchInput: JiraPatch,
  draftInput: JiraPatch,

  secretsOf(input) {
    return [input.auth.kind === 'cloud' ? input.auth.apiToken : input.auth.pat];
  },

  async merge(cur, patch, unseal) {
    const p = patch?.auth;
    let auth: JiraInput['auth'];
    if (!p || p.kind === cur.auth.kind) {
      if (cur.auth.kind === 'cloud') {
        const q = p?.kind === 'cloud' ? p : undefined;
        auth = {
          kind: 'cloud',
          email: q?.email ?? cur.auth.email,
          apiToken: q?.apiToken ?? (await unseal(cur.auth.apiToken, 'jira.auth.apiToken')),
        };
      } else {
        const q = p?.kind === 'server' ? p : undefined;
        auth = { kind: 'server', pat: q?.pat ?? (await unseal(cur.auth.pat, 'jira.auth.pat')) };
      }
    } else if (p.kind === 'cloud') {
      if (!p.email || !p.apiToken) {
        throw missing(
          p.email ? 'jira.auth.apiToken' : 'jira.auth.email',
          'switching to Jira Cloud needs the account email (--email) and an API token (--api-token-stdin)',
        );
      }
      auth = { kind: 'cloud', email: p.email, apiToken: p.apiToken };
    } else {
      if (!p.pat)
        throw missing(
          'jira.auth.pat',
          'switching to Jira Server/Data Center needs a personal access token (--pat-stdin)',
        );
      auth = { kind: 'server', pat: p.pat };
    }
    return dropUndefined({
      baseUrl: patch?.baseUrl ?? cur.baseUrl,
      auth,
      projectPrefixes:
        patch?.projectPrefixes === null ? undefined : (patch?.projectPrefixes ?? cur.projectPrefixes),
      failOnNotFound:
        patch?.failOnNotFound === null ? undefined : (patch?.failOnNotFound ?? cur.failOnNotFound),
    });
  },

  async build(input, seal) {
    const auth: JiraSpec['auth'] =
      input.auth.kind === 'cloud'
        ? {
            kind: 'cloud',
            email: input.auth.email,
            apiToken: await seal(input.auth.apiToken, 'auth.apiToken'),
          }
        : { kind: 'server', pat: await seal(input.auth.pat, 'auth.pat') };
    return dropUndefined({
      baseUrl: input.baseUrl,
      auth,
      projectPrefixes: input.projectPrefixes,
      failOnNotFound: input.failOnNotFound,
    });
  },

  destinations(settings) {
    return { baseUrl: settings.baseUrl };
  },

  view(section) {
    return dropUndefined({
      baseUrl: section.baseUrl,
      auth:
        section.auth.kind === 'cloud'
          ? { kind: 'cloud', email: section.auth.email, apiToken: { set: true } }
          : { kind: 'server', pat: { set: true } },
      projectPrefixes: section.projectPrefixes,
      failOnNotFound: section.failOnNotFound,
    });
  },

  refusalHints() {
    return [];
  },

  test(input, runtime, executor, onCheck) {
    return executor.testJira(runtime, { baseUrl: input.baseUrl, auth: input.auth }, onCheck);
  },

  reenterSecretHint(name) {
    return `Enter the secret again: imagetrail integration edit ${name} --api-token-stdin (Cloud) or --pat-stdin (Server/DC)`;
  },
});

function missing(path: string, message: string): InputError {
  return new InputError(message, { details: [{ path, message }] });
}
