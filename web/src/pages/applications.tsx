import { request } from '../api/client.js';
import { ApplicationList, type ApplicationSummary, type RunningImage } from '../api/schemas.js';
import { ExtLink } from '../components/detail.js';
import { applicationPath } from '../components/deployments.js';
import { ErrorWithRetry, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { shortDigest, shortSha, when } from '../format.js';
import { Link } from '../router.js';

/**
 * Applications (issue 13): each Argo CD application, or workload without one, with the digests it runs now
 * and what went into each (tags, build, commit).
 */
export function ApplicationsPage() {
  const [list, reload] = useLoad(
    // One request for the whole page: the list includes what each application runs.
    (signal) => request('/deployments/applications?include=running', ApplicationList, { signal }),
    [],
  );
  return (
    <section aria-labelledby="applications-title">
      <PageTitle>
        <span id="applications-title">Applications</span>
      </PageTitle>
      <p className="muted">
        What each cluster runs now, by the digest its container runtime resolved (not the tag in the pod
        spec).
      </p>
      {list.state === 'loading' && <Loading what="applications" />}
      {list.state === 'error' && <ErrorWithRetry error={list.error} onRetry={reload} />}
      {list.state === 'ok' && list.data.items.length === 0 && (
        <p className="muted" role="status">
          Nothing observed running yet. Runtimes report what runs through <code>imagetrail agent</code>.
        </p>
      )}
      {list.state === 'ok' && list.data.items.map((a) => <ApplicationCard key={a.application} app={a} />)}
    </section>
  );
}

/** One application's running digests, from the list's answer. */
function ApplicationCard({ app }: { app: ApplicationSummary }) {
  const name = app.application;
  const id = `app-${name.replace(/[^\w-]/g, '-')}`;
  return (
    <section className="card" aria-labelledby={id} data-application={name}>
      <h2 id={id}>
        <Link to={applicationPath(name)}>{name}</Link>
      </h2>
      <p className="muted small">
        {app.runtimes.join(', ')} · {app.namespaces.join(', ')} · {app.replicas} replica
        {app.replicas === 1 ? '' : 's'} · last change {when(app.lastChangeAt)}
      </p>
      <RunningImages name={name} items={app.running ?? []} />
    </section>
  );
}

export function RunningImages({ name, items }: { name: string; items: RunningImage[] }) {
  if (items.length === 0) return <p className="muted">Runs nothing now.</p>;
  return (
    <TableWrap label={`Images ${name} runs now`}>
      <table className="data">
        <caption className="visually-hidden">Images {name} runs now</caption>
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Tags</th>
            <th scope="col">Build</th>
            <th scope="col">Commit</th>
            <th scope="col">Where</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <RunningRow key={r.interval.id} r={r} />
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function RunningRow({ r }: { r: RunningImage }) {
  const i = r.interval;
  const label = `${i.repository}@${shortDigest(i.digest)}`;
  return (
    <tr data-running={i.digest}>
      <th scope="row">
        {i.imageId ? (
          <Link to={`/images/${encodeURIComponent(i.imageId)}`}>{label}</Link>
        ) : (
          <code>{label}</code>
        )}
        {r.discoveredInCluster && (
          <div>
            <span className="badge">discovered in cluster</span>
          </div>
        )}
      </th>
      <td>
        {r.tags.length ? (
          r.tags.map((t) => <code key={t}>{t} </code>)
        ) : (
          <span className="muted">untagged</span>
        )}
      </td>
      <td>
        {r.build ? (
          <ExtLink href={r.build.workflowUrl}>{r.build.workflowName ?? when(r.build.reportedAt)}</ExtLink>
        ) : (
          '—'
        )}
      </td>
      <td>
        {r.git ? (
          <>
            {r.git.branch && <span className="badge">{r.git.branch}</span>}{' '}
            <code title={r.git.sha}>{shortSha(r.git.sha)}</code>
            {r.git.message && <div className="small clamp">{r.git.message.split('\n')[0]}</div>}
          </>
        ) : (
          '—'
        )}
        {r.pullRequests.map((p) => (
          <div key={p.number} className="small">
            <ExtLink href={p.url}>#{p.number}</ExtLink> {p.title}
          </div>
        ))}
        {r.issues.map((x) => (
          <div key={x.key} className="small">
            <ExtLink href={x.url}>{x.key}</ExtLink> {x.title}
          </div>
        ))}
      </td>
      <td>
        {i.runtime} · {i.namespace} · {i.workloadKind}/{i.workloadName} · {i.replicas}×
      </td>
      <td>{when(i.firstSeenAt)}</td>
    </tr>
  );
}
