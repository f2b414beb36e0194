import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import * as z from 'zod';

/**
 * How a CLI finds a local server without being told: never through the current directory (in CI that is a
 * checkout a pull request controls, and the CLI would send its token wherever `./.imagetrail/server.json`
 * said). A server started on the default data directory writes a pointer into the user's own config
 * directory (`$XDG_CONFIG_HOME/imagetrail/server.json`, else `~/.config/imagetrail/server.json`) naming
 * its URL and data directory; the CLI reads that, or `<data-dir>/server.json` when given the data directory.
 */
export const LocalServer = z.object({
  url: z.string().regex(/^https?:\/\//),
  pid: z.number().int().optional(),
  /** Absolute; where the admin token of a fresh install is. */
  dataDir: z.string().optional(),
});
export type LocalServer = z.infer<typeof LocalServer>;

export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(env['HOME'] ?? homedir(), '.config'), 'imagetrail');
}

export function pointerFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDir(env), 'server.json');
}

export async function writePointer(server: LocalServer, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await mkdir(userConfigDir(env), { recursive: true, mode: 0o700 });
  const body = { ...server, ...(server.dataDir ? { dataDir: resolve(server.dataDir) } : {}) };
  await writeFile(pointerFile(env), JSON.stringify(body) + '\n', { mode: 0o600 });
}

/** Removes the pointer if it is still ours (another server may have started since). */
export async function removePointer(pid: number, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const current = await readLocalServer(pointerFile(env));
  if (current?.pid === pid) await rm(pointerFile(env), { force: true });
}

export async function readLocalServer(file: string): Promise<LocalServer | undefined> {
  try {
    const parsed = LocalServer.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
