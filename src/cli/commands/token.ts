import type { Command } from 'commander';
import { TokenCreated, TokenList, TokenRevoked } from '../../contract/admin-answers.js';
import { printJson, stdio, table } from '../output.js';
import { clientFor, collect } from './common.js';

export function registerToken(program: Command): void {
  const t = program.command('token').description('manage API tokens (admin)');
  t.command('create <name>')
    .description('create a token; it is printed once and stored only as a hash')
    .requiredOption(
      '--scope <scopes...>',
      'admin, report, viewer, metrics or runtime:<name> (repeat or comma-separate)',
      collect,
    )
    .option('--json', 'print JSON')
    .action(async (name: string, o: { scope: string[]; json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const res = await (
        await clientFor(cmd)
      ).call(TokenCreated, 'POST', '/api/v1/tokens', { name, scopes: o.scope });
      if (out.json) return printJson(out, res);
      out.err(`Token ${res.id} created for ${name} (${o.scope.join(', ')}). It is shown only now:`);
      out.out(res.token);
    });
  t.command('list')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const { items } = await (await clientFor(cmd)).call(TokenList, 'GET', '/api/v1/tokens');
      if (out.json) return printJson(out, items);
      out.out(
        table([
          ['ID', 'NAME', 'SCOPES', 'CREATED', 'LAST USED', 'REVOKED'],
          ...items.map((i) => [
            i.id,
            i.name,
            i.scopes.join(','),
            i.createdAt,
            i.lastUsedAt ?? '-',
            i.revokedAt ?? '-',
          ]),
        ]),
      );
    });
  t.command('revoke <id>')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const res = await (
        await clientFor(cmd)
      ).call(TokenRevoked, 'DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      if (out.json) return printJson(out, res);
      out.out(`Token ${id} revoked.`);
    });
}
