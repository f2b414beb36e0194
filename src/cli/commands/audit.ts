import type { Command } from 'commander';
import { AuditPage } from '../../contract/admin-answers.js';
import { filterQuery } from './common.js';
import { printPage } from './list-page.js';

const FILTERS = ['action', 'actor', 'since', 'limit', 'cursor'] as const;

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('the audit trail: configuration, token and runtime changes, secret uses, sign-ins (admin)');

  audit
    .command('list')
    .description('list audit events, newest first')
    .option('--action <action>', 'one action (token.create) or a family (integration.*)')
    .option('--actor <token>', 'the acting token, by id or name')
    .option('--since <time>', 'at or after this ISO 8601 time, e.g. 2030-01-31T00:00:00Z')
    .option('--limit <n>', 'page size (1–1000)', '50')
    .option('--cursor <cursor>', 'the next page, from a previous output')
    .option('--json', 'print JSON ({ items, nextCursor })')
    .action((o: Record<string, string | boolean | undefined>, cmd: Command) =>
      printPage(cmd, Boolean(o['json']), {
        schema: AuditPage,
        path: '/api/v1/audit',
        query: filterQuery(o, FILTERS),
        none: 'No audit events match.',
        header: ['TIME', 'ACTOR', 'ACTION', 'TARGET', 'DETAIL'],
        row: (e) => [e.at, e.actor?.name ?? '(server)', e.action, e.target ?? '-', summarize(e.detail)],
      }),
    );
}

/** `key=value` pairs on one line; nested values as compact JSON, cut to stay readable. */
function summarize(detail: Record<string, unknown>): string {
  const text = Object.entries(detail)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return text.length > 160 ? text.slice(0, 159) + '…' : text || '-';
}
