import type { Command } from 'commander';
import { UnreachableError } from '../../domain/errors.js';
import { EXIT, ExitCode } from '../exit-codes.js';
import { printJson, stdio } from '../output.js';
import { clientFor } from './common.js';
import type * as z from 'zod';
import { Readiness } from '../../contract/admin-answers.js';
import { answerOf } from '../client.js';

/**
 * `imagetrail status [--wait S]`: asks the server's /readyz. With --wait it retries until the server is
 * ready, so a script (the README's Quickstart) can start `serve &` and go on once it answers; the local
 * server is looked up again on every try, since its server.json appears only once it listens.
 */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('whether the server is up and ready (exit 0), not ready (1) or unreachable (3)')
    .option('--wait <seconds>', 'wait up to this many seconds for the server to be ready', '0')
    .option('--json', 'print JSON')
    .action(async (o: { wait: string; json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const wait = Number(o.wait);
      if (!Number.isFinite(wait) || wait < 0 || wait > 3600) {
        out.err('--wait must be a number of seconds between 0 and 3600');
        throw new ExitCode(EXIT.usage);
      }
      const deadline = Date.now() + wait * 1000;
      for (;;) {
        const client = await clientFor(cmd);
        const r = await readiness(client.baseUrl);
        if (r.ready || Date.now() >= deadline) {
          if (!r.body) {
            throw new UnreachableError(`Cannot reach the imagetrail server at ${client.baseUrl}.`, {
              hints: [
                'Start it with: imagetrail serve',
                'Or point the CLI at it with --server URL or IMAGETRAIL_SERVER.',
              ],
            });
          }
          if (out.json) printJson(out, { url: client.baseUrl, ...r.body });
          else if (r.ready) out.out(`ready: ${client.baseUrl}`);
          else out.out(`not ready: ${client.baseUrl}\n  ${(r.body.reasons ?? []).join('\n  ')}`);
          if (!r.ready) throw new ExitCode(EXIT.failed);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });
}

async function readiness(baseUrl: string): Promise<{ ready: boolean; body?: z.output<typeof Readiness> }> {
  let res: Response;
  let json: unknown;
  try {
    res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    json = await res.json();
  } catch {
    return { ready: false };
  }
  // An answer that is not the contract's is a skew to report, not "not up yet".
  const body = answerOf(Readiness, json, 'GET /readyz');
  return { ready: res.ok && body.status === 'ready', body };
}
