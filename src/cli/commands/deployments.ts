import type { Command } from 'commander';
import { ApplicationView, DeploymentPage, type DeploymentInterval } from '../../contract/deployments.js';
import { printJson, stdio, table } from '../output.js';
import { clientFor } from './common.js';

/** `imagetrail deployments list|show`: where digests run (issue 13). */

const short = (d: string) => d.slice(0, 19);
const where = (i: DeploymentInterval) => `${i.runtime}/${i.namespace}/${i.workloadKind}/${i.workloadName}`;

export function registerDeployments(program: Command): void {
  const deployments = program.command('deployments').description('where image digests run, and ran');

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

  deployments
    .command('show <application>')
    .description('an application: digests running now (tags, build, commit, PRs, Jira), timeline, lead time')
    .option('--since <iso>', 'start of the lead-time period')
    .option('--until <iso>', 'end of the lead-time period')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean; since?: string; until?: string }, cmd: Command) => {
      const out = stdio(Boolean(o.json));
      const q = new URLSearchParams();
      if (o.since) q.set('since', o.since);
      if (o.until) q.set('until', o.until);
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
      const m = v.leadTime.medianSeconds;
      out.out(
        `Lead time (median): ${m === undefined ? '-' : `${Math.round(m / 60)} min`} over ${v.leadTime.items.length} deployment(s)`,
      );
    });
}
