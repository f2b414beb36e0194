import * as z from 'zod';

/**
 * The part of a Jira issue imagetrail shows. Same shape from Jira Cloud REST v3 and Jira Server/Data Center
 * REST v2 for these fields (v3 differs in rich-text fields, which we do not read). Unknown fields pass.
 */
export const Issue = z.object({
  key: z.string(),
  fields: z.object({
    summary: z.string(),
    status: z.object({
      name: z.string(),
      // `new` (To Do), `indeterminate` (In Progress), `done`; `undefined` exists as a key on old servers.
      statusCategory: z.object({ key: z.string(), name: z.string() }),
    }),
    // Null when unassigned; absent when the field is hidden from the caller's screen scheme.
    assignee: z.object({ displayName: z.string() }).nullish(),
  }),
});
export type Issue = z.infer<typeof Issue>;

/**
 * `GET /rest/api/{3|2}/myself`: who the credentials act as. Cloud answers `accountId` (no `name` since the
 * GDPR changes); Server/Data Center answers `name` and `key`.
 */
export const Myself = z.object({
  accountId: z.string().optional(),
  name: z.string().optional(),
  displayName: z.string(),
});
export type Myself = z.infer<typeof Myself>;

/** A JQL search page (`/rest/api/3/search/jql`, `/rest/api/2/search`): only the issues are read. */
export const SearchResults = z.object({ issues: z.array(Issue) });
export type SearchResults = z.infer<typeof SearchResults>;
