import { request } from '../api/client.js';
import { ApplicationView, type LeadTimeReport } from '../api/schemas.js';
import { duration, IntervalList } from '../components/deployments.js';
import { ErrorWithRetry, Loading, PageTitle, useLoad } from '../components/ui.js';
import { shortDigest, shortSha, when } from '../format.js';
import { Link } from '../router.js';
import { RunningImages } from './applications.js';

/** One application: what it runs now, the timeline of changes, lead time and deployment frequency. */
export function ApplicationDetailPage({ name }: { name: string }) {
  const [view, reload] = useLoadView(name);
  return (
    <section aria-labelledby="application-title">
      <p className="crumbs">
        <Link to="/applications">Applications</Link> <span aria-hidden="true">/</span> {name}
      </p>
      <PageTitle>
        <span id="application-title">{name}</span>
      </PageTitle>
      {view.state === 'loading' && <Loading what="the application" />}
      {view.state === 'error' && <ErrorWithRetry error={view.error} onRetry={reload} />}
      {view.state === 'ok' && (
        <>
          {view.data.app && (
            <p className="muted small">
              Argo CD: {view.data.app.project ?? 'project unknown'}
              {view.data.app.health && ` · ${view.data.app.health}`}
              {view.data.app.syncStatus && ` · ${view.data.app.syncStatus}`}
              {view.data.app.syncRevision && ` · revision ${shortSha(view.data.app.syncRevision)}`}
            </p>
          )}
          <section className="card" aria-labelledby="app-running-title">
            <h2 id="app-running-title">Running now</h2>
            <RunningImages name={name} items={view.data.running} />
          </section>
          <LeadTimeCard report={view.data.leadTime} />
          <section className="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline ({view.data.timeline.length})</h2>
            <IntervalList label="Timeline" items={view.data.timeline} imageLinks />
          </section>
        </>
      )}
    </section>
  );
}

function useLoadView(name: string) {
  return useLoad(
    (signal) => request(`/deployments/applications/${encodeURIComponent(name)}`, ApplicationView, { signal }),
    [name],
  );
}

function LeadTimeCard({ report }: { report: LeadTimeReport }) {
  const deployments = report.frequency.reduce((n, f) => n + f.deployments, 0);
  return (
    <section className="card" aria-labelledby="lead-title">
      <h2 id="lead-title">Lead time and deployment frequency</h2>
      <dl className="kv">
        <dt>Median lead time for changes</dt>
        <dd data-median-lead-time>
          {report.medianSeconds === undefined
            ? '— (no build with a commit time)'
            : duration(report.medianSeconds)}
        </dd>
        <dt>Deployments</dt>
        <dd data-deployments={deployments}>
          {deployments} distinct digest{deployments === 1 ? '' : 's'}
          {report.frequency[0]?.perDay !== undefined && ` (${report.frequency[0].perDay.toFixed(2)} per day)`}
        </dd>
      </dl>
      {report.items.length > 0 && (
        <ul className="plain" aria-label="Lead time per digest">
          {report.items.map((l) => (
            <li key={`${l.application}/${l.digest}`}>
              <code>{shortDigest(l.digest)}</code>: {duration(l.seconds)}{' '}
              <span className="muted small">
                (commit <code>{shortSha(l.commitSha)}</code> {when(l.commitTime)} → running{' '}
                {when(l.firstRunningAt)})
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
