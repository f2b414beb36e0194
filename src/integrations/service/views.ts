import type { ConfigSnapshot } from '../../config-repo/snapshot.js';
import { handlerFor, sectionOf } from '../types/index.js';
import { availabilityOf } from './availability.js';
import { entriesOf, primaryEntry, sharingOf } from './entries.js';
import type { IntegrationRepo, IntegrationView } from './types.js';

/**
 * What the API and CLI show of an integration. The section comes from the handler's `view`, which shows a
 * secret only as `{ set: true }`: a view never carries one, sealed or clear.
 */
export function viewOf(snap: ConfigSnapshot, name: string): IntegrationView {
  const entries = entriesOf(snap, name);
  const spec = primaryEntry(entries).resource.spec;
  const h = handlerFor(spec.type);
  const section = sectionOf(spec);
  const files = new Set(entries.map((x) => x.file));
  return {
    name,
    type: spec.type,
    ...(spec.description ? { description: spec.description } : {}),
    mode: h.modeOf(section),
    [h.section]: h.view(section),
    sharing: sharingOf(entries),
    placements: entries.map((x) =>
      x.placement.scope === 'all'
        ? { scope: 'all' as const, file: x.file }
        : { scope: 'runtime' as const, runtime: x.placement.runtime, file: x.file },
    ),
    availability: availabilityOf(snap, name),
    problems: snap.problems.filter((p) => files.has(p.file)),
  };
}

export function listViews(repo: Pick<IntegrationRepo, 'snapshot'>): IntegrationView[] {
  const snap = repo.snapshot();
  const names = [...new Set(snap.integrations.map((e) => e.name))].sort();
  return names.map((n) => viewOf(snap, n));
}

export async function listViewsWithCommits(
  repo: Pick<IntegrationRepo, 'snapshot' | 'lastCommits'>,
): Promise<IntegrationView[]> {
  const views = listViews(repo);
  // One pass over the history for all of them, not one git per integration.
  const commits = await repo.lastCommits(views.map((v) => v.placements.map((p) => p.file)));
  views.forEach((v, i) => {
    const c = commits[i];
    if (c) v.lastCommit = c;
  });
  return views;
}

export async function getView(
  repo: Pick<IntegrationRepo, 'snapshot' | 'lastCommit'>,
  name: string,
): Promise<IntegrationView> {
  const v = viewOf(repo.snapshot(), name);
  const c = await repo.lastCommit(v.placements.map((p) => p.file));
  if (c) v.lastCommit = c;
  return v;
}
