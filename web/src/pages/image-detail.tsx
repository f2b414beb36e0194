import { request } from '../api/client.js';
import { ImageDetail } from '../api/schemas.js';
import { ExtLink } from '../components/detail.js';
import { DockerfileCard } from '../components/dockerfile.js';
import { ErrorBox, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { shortSha, when } from '../format.js';
import { Link } from '../router.js';
import { DeploymentsCards } from './image-deployments.js';
import { RegistryCards } from './image-registry-cards.js';
import { SummaryCard } from './image-summary.js';

/** One image: summary (build, Git, pull requests, Jira), platforms, layers, labels, scan, referrers. */
export function ImageDetailPage({ id }: { id: string }) {
  const [img] = useLoad(
    (signal) => request(`/images/${encodeURIComponent(id)}`, ImageDetail, { signal }),
    [id],
  );
  return (
    <section aria-labelledby="image-title">
      <p className="crumbs">
        <Link to="/images">Images</Link> <span aria-hidden="true">/</span>{' '}
        {img.state === 'ok' ? img.data.repository : id}
      </p>
      {img.state === 'loading' && (
        <>
          <PageTitle>
            <span id="image-title">Image</span>
          </PageTitle>
          <Loading what="the image" />
        </>
      )}
      {img.state === 'error' && (
        <>
          <PageTitle>
            <span id="image-title">Image</span>
          </PageTitle>
          <ErrorBox error={img.error} />
        </>
      )}
      {img.state === 'ok' && <Detail d={img.data} />}
    </section>
  );
}

function Detail({ d }: { d: ImageDetail }) {
  return (
    <>
      <PageTitle>
        <span id="image-title">
          {d.repository}
          {d.tags[0] && <span className="muted">:{d.tags[0]}</span>}
        </span>
      </PageTitle>
      <SummaryCard d={d} />
      <DeploymentsCards d={d.deployments} />
      <IssuesCard d={d} />
      <RegistryCards d={d} />
      <DockerfileCard builds={d.builds} />
      {d.builds.length > 1 && (
        <section className="card" aria-labelledby="builds-title">
          <h2 id="builds-title">Builds ({d.builds.length})</h2>
          <ul className="plain">
            {d.builds.map((b) => (
              <li key={b.id}>
                <ExtLink href={b.workflowUrl}>{b.workflowName ?? b.reportId}</ExtLink> — {when(b.reportedAt)}
                {b.git?.sha && (
                  <>
                    {' '}
                    <code>{shortSha(b.git.sha)}</code>
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}

function IssuesCard({ d }: { d: ImageDetail }) {
  return (
    <section className="card" aria-labelledby="issues-title">
      <h2 id="issues-title">Jira issues</h2>
      {d.issueDetails.length === 0 && d.issues.length === 0 ? (
        <p className="muted">No issues found in the commit message, branch or the report.</p>
      ) : (
        <TableWrap label="Jira issues table">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">Assignee</th>
              </tr>
            </thead>
            <tbody>
              {d.issueDetails.map((i) => (
                <tr key={i.key}>
                  <th scope="row">
                    <ExtLink href={i.url}>{i.key}</ExtLink>
                  </th>
                  <td>{i.title}</td>
                  <td>
                    <span
                      className={`badge status-${(i.statusCategory ?? '').toLowerCase().replace(/[^a-z]/g, '')}`}
                    >
                      {i.status}
                    </span>
                  </td>
                  <td>{i.assignee ?? '—'}</td>
                </tr>
              ))}
              {d.issues
                .filter((k) => !d.issueDetails.some((i) => i.key === k))
                .map((k) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    <td colSpan={3} className="muted">
                      Not looked up
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
