import type { Command } from 'commander';
import { ConfigStatus } from '../../contract/admin-answers.js';
import { EXIT, ExitCode } from '../exit-codes.js';
import { printJson, stdio } from '../output.js';
import { clientFor } from './common.js';

export function registerConfig(program: Command): void {
  const c = program.command('config').description('the shared configuration repository');
  const show = (out: ReturnType<typeof stdio>, s: ConfigStatus) => {
    if (out.json) return printJson(out, s);
    out.out(`Commit: ${s.commit ?? '(none)'}`);
    if (s.problems.length === 0) out.out('No problems.');
    for (const p of s.problems) out.out(`${p.severity}: ${p.file}: ${p.path}: ${p.message}`);
  };
  c.command('status')
    .description('the applied commit and any invalid resources (exit 1 when a resource is invalid)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const s = await (await clientFor(cmd)).call(ConfigStatus, 'GET', '/api/v1/config');
      show(out, s);
      if (s.problems.some((p) => p.severity === 'error')) throw new ExitCode(EXIT.failed);
    });
  c.command('sync')
    .description('pull the repository now and validate it')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      show(out, await (await clientFor(cmd)).call(ConfigStatus, 'POST', '/api/v1/config/sync'));
    });
}
