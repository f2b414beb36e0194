import type { ImageDetail } from '../api/schemas.js';
import { KeyValues } from '../components/detail.js';
import { TableWrap } from '../components/ui.js';
import { bytes, platform, when } from '../format.js';

const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

/** The registry's facts of one image, a card each: platforms, layers, labels, scan findings, referrers. */
export function RegistryCards({ d }: { d: ImageDetail }) {
  return (
    <>
      <PlatformsCard d={d} />
      <LayersCard d={d} />
      <LabelsCard d={d} />
      <ScanCard d={d} />
      <ReferrersCard d={d} />
    </>
  );
}

function PlatformsCard({ d }: { d: ImageDetail }) {
  return (
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
  );
}

function LayersCard({ d }: { d: ImageDetail }) {
  return (
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
  );
}

function LabelsCard({ d }: { d: ImageDetail }) {
  const labels = Object.entries(d.labels);
  const annotations = Object.entries(d.annotations);
  return (
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
  );
}

function ScanCard({ d }: { d: ImageDetail }) {
  const severities = d.scan
    ? [
        ...SEVERITIES.filter((s) => s in d.scan!.severityCounts),
        ...Object.keys(d.scan.severityCounts).filter((s) => !SEVERITIES.includes(s)),
      ]
    : [];
  return (
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
  );
}

function ReferrersCard({ d }: { d: ImageDetail }) {
  return (
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
  );
}
