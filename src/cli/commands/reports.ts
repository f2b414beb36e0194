import type { Command } from 'commander';
import { ReportList, ReportView } from '../../contract/image-answers.js';
import { printJson, stdio } from '../output.js';
import { clientFor, filterQuery } from './common.js';
import { printPage } from './list-page.js';

const FILTERS = ['status', 'runtime', 'image', 'since', 'limit', 'cursor'] as const;

/** `reports show ID` and its older name `images report ID`. */
export async function showReport(cmd: Command, id: string, json: boolean): Promise<void> {
  const out = stdio(json);
  const r = await (
    await clientFor(cmd)
  ).call(ReportView, 'GET', `/api/v1/image-reports/${encodeURIComponent(id)}`);
  if (out.json) return printJson(out, r);
  out.out(`Report ${r.id}: ${r.status} (${r.image}) on runtime ${r.runtime ?? '-'}, accepted ${r.createdAt}`);
  for (const s of r.steps)
    out.out(`  ${s.status === 'failed' ? '✘' : '✔'} ${s.name.padEnd(14)} ${s.message ?? ''}`);
  if (r.error) out.out(`Error: ${r.error.message}${r.error.errorClass ? ` (${r.error.errorClass})` : ''}`);
  if (r.result) out.out(`Image: ${r.result.imageId} ${r.result.digest}`);
}

export function registerReports(program: Command): void {
  const reports = program.command('reports').description('image reports sent by CI, and how they went');

  reports
    .command('list')
    .description('list image reports, newest first (failed ones with their reason)')
    .option('--status <status>', 'queued, running, succeeded or failed')
    .option('--runtime <name>', 'runtime that did the work')
    .option('--image <ref>', 'the reported reference, or a prefix such as registry/repository')
    .option('--since <time>', 'accepted at or after this ISO 8601 time')
    .option('--limit <n>', 'page size (1–200)', '50')
    .option('--cursor <cursor>', 'the next page, from a previous --json output')
    .option('--json', 'print JSON ({ items, nextCursor })')
    .action((o: Record<string, string | boolean | undefined>, cmd: Command) =>
      printPage(cmd, Boolean(o['json']), {
        schema: ReportList,
        path: '/api/v1/image-reports',
        query: filterQuery(o, FILTERS),
        none: 'No reports match.',
        header: ['ID', 'STATUS', 'IMAGE', 'RUNTIME', 'ACCEPTED', 'REASON'],
        row: (r) => [
          r.id,
          r.status,
          r.image,
          r.runtime ?? '-',
          r.createdAt,
          r.error ? r.error.message.replace(/\s+/g, ' ').slice(0, 120) : '-',
        ],
      }),
    );

  reports
    .command('show <id>')
    .description('show one image report: status, steps, reason of a failure, the image it produced')
    .option('--json', 'print JSON')
    .action((id: string, o: { json?: boolean }, cmd: Command) => showReport(cmd, id, Boolean(o.json)));
}
