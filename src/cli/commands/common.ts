import type { Command } from 'commander';
import type { ApiClient } from '../client.js';

export interface GlobalOpts {
  server?: string;
  token?: string;
  tokenFile?: string;
  dataDir?: string;
  verbose?: boolean;
}

export function globals(cmd: Command): GlobalOpts {
  return cmd.optsWithGlobals<GlobalOpts>();
}

export async function clientFor(cmd: Command, env: NodeJS.ProcessEnv = process.env): Promise<ApiClient> {
  // Loaded on demand: it brings zod, and `--version`/`--help` should not pay for it.
  const { ApiClient } = await import('../client.js');
  const g = globals(cmd);
  if (g.token) {
    process.stderr.write(
      'warning: --token puts the token in the process list; prefer IMAGETRAIL_TOKEN or --token-file.\n',
    );
  }
  return ApiClient.create(
    {
      ...(g.server ? { server: g.server } : {}),
      ...(g.token ? { token: g.token } : {}),
      ...(g.tokenFile ? { tokenFile: g.tokenFile } : {}),
      ...(g.dataDir ? { dataDir: g.dataDir } : {}),
    },
    env,
  );
}

export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** The query string of a list command: each filter option given a non-empty value, by its own name. */
export function filterQuery(
  o: Record<string, string | boolean | undefined>,
  filters: readonly string[],
): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of filters) {
    const v = o[k];
    if (typeof v === 'string' && v !== '') q.set(k, v);
  }
  return q;
}
