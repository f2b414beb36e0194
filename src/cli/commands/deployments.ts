import type { Command } from 'commander';
import {
  ApplicationView,
  DeploymentPage,
  LeadTimeReport,
  type DeploymentInterval,
} from '../../contract/deployments.js';
import { printJson, stdio, table, type Output } from '../output.js';
import { clientFor } from './common.js';

/** `imagetrail deployments list|show`: where digests run (issue 13). */

const short = (d: string) => d.slice(0, 19);
const where = (i: DeploymentInterval) => `${i.runtime}/${i.namespace}/${i.workloadKind}/${i.workloadName}`;

export function registerDeployments(program: Command): void {
  const deployments = program.command('deployments').description('where image digests run, and ran');
  registerList(deployments);
  registerShow(deployments);
  registerLeadTime(deployments);
}

function registerList(deployments: Command): void {
  deployments
    .command('list')
    .description('deployment intervals, newest first')
    .option('--runtime <name>', 'runtime (cluster)')
    .option('--application <name>', 'Argo CD application')
    .option('--namespace <ns>', 'namespace')
    .option('--digest <sha256:…>', 'image digest')
    .option('--active', 'only what runs now')
    .option('--limit <n>', 'page size (1–500)', '100')
    .option('--cursor <cursor>', 'the next page, from a previous --json output')
    .option('--json', 'print JSON ({ items, nextCursor })')
    .action(async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
      const out = stdio(Boolean(o['json']));
      const q = new URLSearchParams();
      for (const k of ['runtime', 'application', 'namespace', 'digest', 'limit', 'cursor']) {
        const v = o[k];
        if (typeof v === 'string' && v !== '') q.set(k, v);
      }
      if (o['active']) q.set('active', 'true');
      const page = await (await clientFor(cmd)).call(DeploymentPage, 'GET', `/api/v1/deployments?${q}`);
      if (out.json) return printJson(out, page);
      if (page.items.length === 0) return out.out('No deployments match.');
      out.out(
        table([
          ['APPLICATION', 'WHERE', 'IMAGE', 'DIGEST', 'REPLICAS', 'SINCE', 'ENDED'],
          ...page.items.map((i) => [
            i.application || '-',
            where(i),
            i.image ?? `${i.registry}/${i.repository}`,
            short(i.digest),
            String(i.replicas),
            i.firstSeenAt,
            i.endedAt ?? 'running',
          ]),
        ]),
      );
      if (page.nextCursor) out.out(`(more: --cursor ${page.nextCursor})`);
    });
}

function registerShow(deployments: Command): void {
  deployments
    .command('show <application>')
    .description('an application: digests running now (tags, build, commit, PRs, Jira), timeline, lead time')
    .option('--since <iso>', 'start of the lead-time period')
    .option('--until <iso>', 'end of the lead-time period')
    .option('--days <n>', 'the lead-time period: the last N days (instead of --since/--until)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: PeriodFlags & { json?: boolean }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const q = periodQuery(o);
      const v = await (
        await clientFor(cmd)
      ).call(ApplicationView, 'GET', `/api/v1/deployments/applications/${encodeURIComponent(name)}?${q}`);
      if (out.json) return printJson(out, v);
      out.out(`${v.application}  (${v.runtimes.join(', ')}; ${v.namespaces.join(', ')})`);
      if (v.app?.syncRevision) out.out(`  revision: ${v.app.syncRevision}  health: ${v.app.health ?? '-'}`);
      out.out('Running now:');
      for (const r of v.running) {
        const i = r.interval;
        out.out(
          `  ${short(i.digest)} ${r.tags.join(',') || '-'}  ${where(i)}  ×${i.replicas} since ${i.firstSeenAt}`,
        );
        if (r.git?.sha) out.out(`    commit ${r.git.sha.slice(0, 8)} ${r.git.message?.split('\n')[0] ?? ''}`);
        for (const pr of r.pullRequests) out.out(`    PR #${pr.number} ${pr.title}`);
        for (const is of r.issues) out.out(`    ${is.key} ${is.title}`);
        if (r.discoveredInCluster) out.out('    discovered in cluster');
      }
      out.out('Timeline:');
      for (const i of v.timeline)
        out.out(`  ${i.firstSeenAt} → ${i.endedAt ?? 'now'}  ${short(i.digest)}  ${where(i)}`);
      printLeadTime(out, v.leadTime);
    });
}

function registerLeadTime(deployments: Command): void {
  deployments
    .command('lead-time')
    .description('lead time for changes (commit → first running) and deployment frequency, per application')
    .option('--application <name>', 'Argo CD application')
    .option('--runtime <name>', 'runtime (cluster)')
    .option('--since <iso>', 'start of the period')
    .option('--until <iso>', 'end of the period')
    .option('--days <n>', 'the last N days (instead of --since/--until)')
    .option('--json', 'print JSON ({ since, until, items, medianSeconds, frequency })')
    .action(
      async (o: PeriodFlags & { json?: boolean; application?: string; runtime?: string }, cmd: Command) => {
        const out = stdio(Boolean(o.json));
        const q = periodQuery(o);
        if (o.application) q.set('application', o.application);
        if (o.runtime) q.set('runtime', o.runtime);
        const r = await (
          await clientFor(cmd)
        ).call(LeadTimeReport, 'GET', `/api/v1/deployments/lead-time?${q}`);
        if (out.json) return printJson(out, r);
        printLeadTime(out, r);
      },
    );
}

interface PeriodFlags {
  since?: string;
  until?: string;
  days?: string;
}

function periodQuery(o: PeriodFlags): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of ['since', 'until', 'days'] as const) if (o[k]) q.set(k, o[k]);
  return q;
}

/** Lead time in whole seconds, as the API gives it, next to a readable form. */
const readable = (s: number) =>
  Math.abs(s) >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s / 60)} min`;

function printLeadTime(out: Output, r: LeadTimeReport): void {
  const period = r.since || r.until ? ` (${r.since ?? 'start'} → ${r.until ?? 'now'})` : ' (all time)';
  out.out(`Lead time for changes${period}:`);
  for (const l of r.items)
    out.out(
      `  ${short(l.digest)}  ${l.application || '-'}  commit ${l.commitSha?.slice(0, 8) ?? '-'} ${l.commitTime} → running ${l.firstRunningAt}: ${l.seconds} s (${readable(l.seconds)})`,
    );
  const m = r.medianSeconds;
  out.out(`  median: ${m === undefined ? '-' : `${m} s (${readable(m)})`} over ${r.items.length} digest(s)`);
  out.out('Deployment frequency:');
  if (r.frequency.length === 0) out.out('  no deployment in the period');
  for (const f of r.frequency)
    out.out(
      `  ${f.application || '(no application)'}: ${f.deployments} deployment(s)${f.perDay === undefined ? '' : `, ${f.perDay.toFixed(2)} per day`}`,
    );
}
