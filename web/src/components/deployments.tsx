import type { DeploymentInterval, LeadTime } from '../api/schemas.js';
import { shortDigest, shortSha, when } from '../format.js';
import { Link } from '../router.js';
import { TableWrap } from './ui.js';

/** Deployment building blocks shared by the image detail and the application pages (issue 13). */

/** `3 d 4 h`, `2 h 5 min`, `42 s`: a lead time or an age, to the two largest units. */
export function duration(seconds: number): string {
  const neg = seconds < 0;
  let s = Math.round(Math.abs(seconds));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ] as const) {
    if (s >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)} ${unit}`);
      s %= size;
    }
    if (parts.length === 2) break;
  }
  return (neg ? '−' : '') + parts.join(' ');
}

/** How the dashboard names an application: a workload without one goes by namespace/kind/name. */
export function applicationName(i: DeploymentInterval): string {
  return i.application || `${i.namespace}/${i.workloadKind}/${i.workloadName}`;
}

export function applicationPath(name: string): string {
  return `/applications/${encodeURIComponent(name)}`;
}

/** Where a digest runs now: application, runtime/cluster, namespace, workload, replicas, since. */
export function RunningTable({ label, items }: { label: string; items: DeploymentInterval[] }) {
  return (
    <TableWrap label={label}>
      <table className="data">
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            <th scope="col">Application</th>
            <th scope="col">Runtime / cluster</th>
            <th scope="col">Namespace</th>
            <th scope="col">Workload</th>
            <th scope="col">Replicas</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.id} data-deployment={i.id}>
              <th scope="row">
                <Link to={applicationPath(applicationName(i))}>{i.application || 'none'}</Link>
                {i.app?.health && <div className="muted small">{i.app.health}</div>}
              </th>
              <td>
                {i.runtime}
                {i.app?.destination?.name && <div className="muted small">{i.app.destination.name}</div>}
              </td>
              <td>{i.namespace}</td>
              <td>
                {i.workloadKind}/{i.workloadName}
              </td>
              <td>{i.replicas}</td>
              <td>{when(i.firstSeenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** Intervals, newest first: which digest ran where, from when to when. */
export function IntervalList({
  label,
  items,
  imageLinks = false,
}: {
  label: string;
  items: DeploymentInterval[];
  imageLinks?: boolean;
}) {
  return (
    <ol className="plain" aria-label={label}>
      {items.map((i) => (
        <li key={i.id} data-interval={i.id}>
          <strong>{when(i.firstSeenAt)}</strong> → {i.endedAt ? when(i.endedAt) : <em>running</em>}{' '}
          {imageLinks && i.imageId ? (
            <Link to={`/images/${encodeURIComponent(i.imageId)}`}>
              {i.repository}@{shortDigest(i.digest)}
            </Link>
          ) : (
            <code title={i.digest}>
              {i.repository}@{shortDigest(i.digest)}
            </code>
          )}{' '}
          <span className="muted small">
            {applicationName(i)} · {i.runtime} · {i.namespace} · {i.workloadKind}/{i.workloadName} ·{' '}
            {i.replicas} replica{i.replicas === 1 ? '' : 's'}
          </span>
        </li>
      ))}
    </ol>
  );
}

export function LeadTimeLine({ lt }: { lt: LeadTime }) {
  return (
    <p data-lead-time={lt.seconds}>
      Lead time for changes: <strong>{duration(lt.seconds)}</strong>{' '}
      <span className="muted small">
        (commit <code>{shortSha(lt.commitSha)}</code> at {when(lt.commitTime)} → first running{' '}
        {when(lt.firstRunningAt)}
        {lt.application ? ` in ${lt.application}` : ''})
      </span>
    </p>
  );
}
