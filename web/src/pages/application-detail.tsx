import { request } from '../api/client.js';
import { ApplicationView, type LeadTimeReport } from '../api/schemas.js';
import { applicationPath, duration, IntervalList } from '../components/deployments.js';
import { ErrorWithRetry, Loading, PageTitle, useLoad } from '../components/ui.js';
import { shortDigest, shortSha, when } from '../format.js';
import { Link, useRouter } from '../router.js';
import { RunningImages } from './applications.js';

/** One application: what it runs now, the timeline of changes, lead time and deployment frequency. */
export function ApplicationDetailPage({ name }: { name: string }) {
  const { search, navigate } = useRouter();
  const days = periodOf(search.get('days'));
  const [view, reload] = useLoadView(name, days);
  const choose = (d: string) => navigate(`${applicationPath(name)}?days=${d}`, { replace: true });
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
          <LeadTimeCard report={view.data.leadTime} days={days} onPeriod={choose} />
          <section className="card" aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline ({view.data.timeline.length})</h2>
            <IntervalList label="Timeline" items={view.data.timeline} imageLinks />
          </section>
        </>
      )}
    </section>
  );
}

/** The periods one may choose, in days; `all` is every observed deployment. */
const ALL = 'all';
const PERIODS: Array<[string, string]> = [
  ['1', 'Last 24 hours'],
  ['7', 'Last 7 days'],
  ['30', 'Last 30 days'],
  ['90', 'Last 90 days'],
  ['365', 'Last 365 days'],
  [ALL, 'All time'],
];
const DEFAULT_PERIOD = '30';

function periodOf(raw: string | null): string {
  return PERIODS.some(([d]) => d === raw) ? (raw as string) : DEFAULT_PERIOD;
}

function useLoadView(name: string, days: string) {
  return useLoad(
    (signal) =>
      request(
        `/deployments/applications/${encodeURIComponent(name)}${days === ALL ? '' : `?days=${days}`}`,
        ApplicationView,
        { signal },
      ),
    [name, days],
  );
}

function LeadTimeCard({
  report,
  days,
  onPeriod,
}: {
  report: LeadTimeReport;
  days: string;
  onPeriod: (days: string) => void;
}) {
  const deployments = report.frequency.reduce((n, f) => n + f.deployments, 0);
  const rates = report.frequency.flatMap((f) => (f.perDay === undefined ? [] : [f.perDay]));
  const perDay = rates.length ? rates.reduce((a, b) => a + b, 0) : undefined;
  return (
    <section className="card" aria-labelledby="lead-title">
      <h2 id="lead-title">Lead time and deployment frequency</h2>
      <p>
        <label>
          Period{' '}
          <select value={days} onChange={(e) => onPeriod(e.target.value)}>
            {PERIODS.map(([d, label]) => (
              <option key={d} value={d}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </p>
      <dl className="kv">
        <dt>Median lead time for changes</dt>
        <dd data-median-lead-time={report.medianSeconds ?? ''}>
          {report.medianSeconds === undefined
            ? '— (no build with a commit time)'
            : duration(report.medianSeconds)}
        </dd>
        <dt>Deployment frequency</dt>
        <dd data-deployments={deployments}>
          {deployments} deployment{deployments === 1 ? '' : 's'} (distinct digests first running)
          {perDay !== undefined && <span data-per-day={perDay}> · {frequencyText(perDay)}</span>}
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

/** 0.43 per day reads better as 3 per week; 2.5 per day as is. */
function frequencyText(perDay: number): string {
  if (perDay >= 1) return `${perDay.toFixed(1)} per day`;
  return `${(perDay * 7).toFixed(1)} per week`;
}
