import type { ImageDetail } from '../api/schemas.js';
import { ExtLink, Row } from '../components/detail.js';
import { bytes, shortSha, when } from '../format.js';

type Build = ImageDetail['builds'][number];

/** Where the image is and what it is (left), and where it came from: build, Git, pull requests (right). */
export function SummaryCard({ d }: { d: ImageDetail }) {
  return (
    <section className="card" aria-labelledby="summary-title">
      <h2 id="summary-title">Summary</h2>
      <div className="columns">
        <RegistryFacts d={d} />
        <Provenance d={d} />
      </div>
    </section>
  );
}

function RegistryFacts({ d }: { d: ImageDetail }) {
  return (
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
  );
}

function Provenance({ d }: { d: ImageDetail }) {
  const commit = d.commits[0];
  return (
    <dl className="kv">
      <BuildRow build={d.builds[0]} />
      <Row k="Git repository">
        {commit?.repo ? (
          <ExtLink href={commit.repo.startsWith('http') ? commit.repo : undefined}>{commit.repo}</ExtLink>
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
  );
}

function BuildRow({ build }: { build: Build | undefined }) {
  return (
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
  );
}
