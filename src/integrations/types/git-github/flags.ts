import type { CliSpec } from '../definition.js';

/** `imagetrail integration add github` and the GitHub options of `integration edit`. */
export const githubFlags: CliSpec = {
  command: 'github',
  description: 'add a GitHub integration (pull requests of commits), tested before it is committed',
  flags: [
    {
      flag: '--api-url <url>',
      setting: 'apiUrl',
      description:
        'GitHub API URL (default https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3)',
      editDescription: 'GitHub API URL ("" for https://api.github.com)',
      emptyClears: true,
    },
    {
      flag: '--token-stdin',
      setting: 'token',
      description: 'read the GitHub token from standard input (else env GITHUB_TOKEN)',
      env: 'GITHUB_TOKEN',
      editDescription: 'read a new GitHub token from standard input (without it the stored token is kept)',
    },
  ],
};
