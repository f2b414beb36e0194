import type { ReactNode } from 'react';
import { request } from '../api/client.js';
import { ImageDetail } from '../api/schemas.js';
import { ErrorBox, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { bytes, platform, safeUrl, shortSha, when } from '../format.js';
import { Link } from '../router.js';
import { DockerfileCard } from '../components/dockerfile.js';

function ExtLink({ href, children }: { href: string | undefined; children: ReactNode }) {
  const url = safeUrl(href);
  return url ? (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ) : (
    <>{children}</>
  );
}

function Row({ k, children }: { k: string; children: ReactNode }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{children ?? '—'}</dd>
    </>
  );
}

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

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
  const build = d.builds[0];
  const commit = d.commits[0];
  const labels = Object.entries(d.labels);
  const annotations = Object.entries(d.annotations);
  const severities = d.scan
    ? [
        ...SEVERITIES.filter((s) => s in d.scan!.severityCounts),
        ...Object.keys(d.scan.severityCounts).filter((s) => !SEVERITIES.includes(s)),
      ]
    : [];
  return (
    <>
      <PageTitle>
        <span id="image-title">
          {d.repository}
          {d.tags[0] && <span className="muted">:{d.tags[0]}</span>}
        </span>
      </PageTitle>

      <section className="card" aria-labelledby="summary-title">
        <h2 id="summary-title">Summary</h2>
        <div className="columns">
          <dl className="kv">
            <Row k="Registry">
              {d.registry} <span className="muted small">({d.registryType})</span>
            </Row>
            <Row k="Repository">{d.repository}</Row>
            <Row k="Tags">
              {d.tags.length
                ? d.tags.map((t) => (
                    <code key={t} className="tag">
                      {t}
                    </code>
                  ))
                : 'untagged'}
            </Row>
            <Row k="Digest">
              <code className="wrap">{d.digest}</code>
            </Row>
            <Row k="Media type">
              <span className="wrap">{d.mediaType}</span>
            </Row>
            <Row k="Size">
              {bytes(d.size)}
              {d.registrySize !== undefined && d.registrySize !== d.size && (
                <span className="muted small"> (registry says {bytes(d.registrySize)})</span>
              )}
            </Row>
            <Row k="Created">{when(d.createdAt)}</Row>
            <Row k="Pushed">{when(d.pushedAt)}</Row>
          </dl>
          <dl className="kv">
            <Row k="Build">
              {build ? (
                <>
                  {/* The report's own name for the run; without one, say what is known, never a made-up name. */}
                  {build.workflowName !== undefined ? (
                    <ExtLink href={build.workflowUrl}>{build.workflowName}</ExtLink>
                  ) : build.workflowUrl !== undefined ? (
                    <ExtLink href={build.workflowUrl}>{build.ciType ?? 'CI'} run</ExtLink>
                  ) : (
                    <span className="muted">no workflow name reported</span>
                  )}
                  {build.logsUrl && (
                    <>
                      {' · '}
                      <ExtLink href={build.logsUrl}>logs</ExtLink>
                    </>
                  )}
                  <div className="muted small">
                    {build.ciType ? `${build.ciType}, ` : ''}runtime {build.runtime}, reported{' '}
                    {when(build.reportedAt)}
                  </div>
                </>
              ) : (
                '—'
              )}
            </Row>
            <Row k="Git repository">
              {commit?.repo ? (
                <ExtLink href={commit.repo.startsWith('http') ? commit.repo : undefined}>
                  {commit.repo}
                </ExtLink>
              ) : (
                (d.git?.repo ?? '—')
              )}
            </Row>
            <Row k="Branch">{commit?.branch ?? d.git?.branch ?? '—'}</Row>
            <Row k="Commit">
              {commit?.sha || d.git?.sha ? (
                <>
                  <ExtLink href={commit?.url}>
                    <code title={commit?.sha ?? d.git?.sha}>{shortSha(commit?.sha ?? d.git?.sha)}</code>
                  </ExtLink>
                  {(commit?.message ?? d.git?.message) && (
                    <div className="small">{(commit?.message ?? d.git?.message ?? '').split('\n')[0]}</div>
                  )}
                  {commit?.author?.name && (
                    <div className="muted small">
                      by {commit.author.name}
                      {commit.committer?.name && commit.committer.name !== commit.author.name
                        ? `, committed by ${commit.committer.name}`
                        : ''}
                      {commit.time ? `, ${when(commit.time)}` : ''}
                    </div>
                  )}
                </>
              ) : (
                '—'
              )}
            </Row>
            <Row k="Pull requests">
              {commit && commit.pullRequests.length > 0 ? (
                <ul className="plain">
                  {commit.pullRequests.map((pr) => (
                    <li key={pr.number}>
                      <ExtLink href={pr.url}>#{pr.number}</ExtLink> {pr.title}{' '}
                      <span className="badge">{pr.mergedAt ? 'merged' : pr.state}</span>
                    </li>
                  ))}
                </ul>
              ) : (
                '—'
              )}
            </Row>
          </dl>
        </div>
      </section>

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

      <section className="card" aria-labelledby="platforms-title">
        <h2 id="platforms-title">Platforms</h2>
        {d.platformsDetail.length === 0 ? (
          <p className="muted">
            {d.config
              ? `${d.config.os ?? '?'}/${d.config.architecture ?? '?'} (single platform)`
              : 'Not known.'}
          </p>
        ) : (
          <TableWrap label="Platforms table">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">OS/architecture</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Size</th>
                </tr>
              </thead>
              <tbody>
                {d.platformsDetail.map((p) => (
                  <tr key={p.digest}>
                    <th scope="row">{platform(p)}</th>
                    <td>
                      <code className="wrap">{p.digest}</code>
                    </td>
                    <td>{bytes(p.size)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>

      <section className="card" aria-labelledby="layers-title">
        <h2 id="layers-title">Layers ({d.layers.length})</h2>
        {d.layers.length > 0 && (
          <TableWrap label="Layers table">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Size</th>
                  <th scope="col">Media type</th>
                </tr>
              </thead>
              <tbody>
                {d.layers.map((l, i) => (
                  <tr key={`${l.digest}-${i}`}>
                    <td>{i + 1}</td>
                    <td>
                      <code className="wrap">{l.digest}</code>
                    </td>
                    <td>{bytes(l.size)}</td>
                    <td className="wrap small">{l.mediaType}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>

      <section className="card" aria-labelledby="labels-title">
        <h2 id="labels-title">Labels and annotations</h2>
        {labels.length === 0 && annotations.length === 0 && <p className="muted">None.</p>}
        {d.config?.labelsFrom && (
          <p className="muted small" data-labels-from={d.config.labelsFrom.digest}>
            An index has no config of its own: created time, labels and environment are those of its{' '}
            {d.config.labelsFrom.platform} image <code className="wrap">{d.config.labelsFrom.digest}</code>.
          </p>
        )}
        {labels.length > 0 && <KeyValues title="Labels" entries={labels} />}
        {d.config?.env && d.config.env.length > 0 && (
          <KeyValues
            title="Environment"
            entries={d.config.env.map((e): [string, string] => {
              const i = e.indexOf('=');
              return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
            })}
          />
        )}
        {annotations.length > 0 && <KeyValues title="Annotations" entries={annotations} />}
      </section>

      <section className="card" aria-labelledby="scan-title">
        <h2 id="scan-title">Scan findings</h2>
        {!d.scan ? (
          <p className="muted">No scan results.</p>
        ) : (
          <>
            <ul className="severities">
              {severities.map((s) => (
                <li key={s} className={`sev sev-${s.toLowerCase()}`}>
                  <span className="sev-count">{d.scan!.severityCounts[s]}</span>{' '}
                  <span className="sev-name">{s.toLowerCase()}</span>
                </li>
              ))}
              {severities.length === 0 && <li>No findings.</li>}
            </ul>
            <p className="muted small">
              {d.scan.status ? `Status ${d.scan.status}` : ''}
              {d.scan.completedAt ? `, completed ${when(d.scan.completedAt)}` : ''}
            </p>
          </>
        )}
      </section>

      <section className="card" aria-labelledby="referrers-title">
        <h2 id="referrers-title">Referrers (signatures, SBOMs, attestations)</h2>
        {d.referrers.length === 0 ? (
          <p className="muted">None found.</p>
        ) : (
          <TableWrap label="Referrers table">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Artifact type</th>
                  <th scope="col">Digest</th>
                </tr>
              </thead>
              <tbody>
                {d.referrers.map((r) => (
                  <tr key={r.digest}>
                    <th scope="row">{r.kind}</th>
                    <td className="wrap small">{r.artifactType ?? r.mediaType}</td>
                    <td>
                      <code className="wrap">{r.digest}</code>
                      {r.tag && <div className="muted small">tag {r.tag}</div>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>

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

function KeyValues({ title, entries }: { title: string; entries: Array<[string, string]> }) {
  return (
    <>
      <h3>{title}</h3>
      <dl className="kv kv-wide">
        {entries.map(([k, v]) => (
          <Row key={k} k={k}>
            <span className="wrap">{safeUrl(v) ? <ExtLink href={v}>{v}</ExtLink> : v}</span>
          </Row>
        ))}
      </dl>
    </>
  );
}
