import * as z from 'zod';

/** The short forms of a build and a commit that image lists and running-image views show (one definition). */

export const BuildBrief = z.object({
  workflowName: z.string().optional(),
  workflowUrl: z.string().optional(),
  reportedAt: z.string(),
});

export const CommitBrief = z.object({
  repo: z.string().optional(),
  branch: z.string().optional(),
  sha: z.string().optional(),
  message: z.string().optional(),
});
