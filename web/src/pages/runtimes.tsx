import { request } from '../api/client.js';
import { RuntimeList, type RuntimeView } from '../api/schemas.js';
import { ErrorWithRetry, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { IntegrationName, modeLabel } from './integrations.js';

/** Runtimes: where registry work runs, and which integrations each one can use (and why not). */
export function RuntimesPage() {
  const [list, reload] = useLoad((signal) => request('/runtimes', RuntimeList, { signal }), []);
  return (
    <section aria-labelledby="runtimes-title">
      <PageTitle>
        <span id="runtimes-title">Runtimes</span>
      </PageTitle>
      <p className="muted">
        Hybrid runtimes run in your infrastructure with your cloud identity; hosted runtimes have none. Add
        one with <code>imagetrail runtime add NAME --type hybrid|hosted --version X.Y.Z</code>.
      </p>
      {list.state === 'loading' && <Loading what="runtimes" />}
      {list.state === 'error' && <ErrorWithRetry error={list.error} onRetry={reload} />}
      {list.state === 'ok' && (
        <TableWrap label="Runtimes">
          <table className="data">
            <caption className="visually-hidden">Runtimes and the integrations each can use</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Version</th>
                <th scope="col">In this server</th>
                <th scope="col">Agents</th>
                <th scope="col">Integrations</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.name} data-runtime={r.name}>
                  <th scope="row">
                    {r.name}
                    {r.description && <div className="muted small">{r.description}</div>}
                  </th>
                  <td>{r.type}</td>
                  <td>{r.version}</td>
                  <td>{r.inProcess ? 'Yes (in-process)' : 'No'}</td>
                  <td>
                    <AgentsCell runtime={r} />
                  </td>
                  <td>
                    {r.integrations.length === 0 ? (
                      <span className="muted">None</span>
                    ) : (
                      <ul className="availability">
                        {r.integrations.map((i) => (
                          <li key={i.name}>
                            <span className={`badge ${i.available ? 'badge-ok' : 'badge-bad'}`}>
                              <span aria-hidden="true">{i.available ? '✓' : '✕'}</span>{' '}
                              <IntegrationName name={i.name} />
                              <span className="visually-hidden">
                                {i.available ? ': usable' : ': not usable'}
                              </span>
                            </span>{' '}
                            <span className="muted small">
                              {modeLabel(i.mode)},{' '}
                              {i.source === 'all-runtimes' ? 'shared with all' : 'this runtime only'}
                            </span>
                            {i.reason && <div className="reason small">{i.reason}</div>}
                          </li>
                        ))}
                      </ul>
                    )}
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

/** Who serves a remote hybrid runtime: each agent, connected or not, with its version and AWS identity. */
function AgentsCell({ runtime: r }: { runtime: RuntimeView }) {
  if (!r.agents) return <span className="muted">—</span>;
  return (
    <>
      {r.agents.length === 0 && <span className="muted">None registered</span>}
      <ul className="availability">
        {r.agents.map((a) => (
          <li key={a.id} data-agent={a.id}>
            <span className={`badge ${a.connected ? 'badge-ok' : a.leftAt ? '' : 'badge-bad'}`}>
              {a.connected ? 'connected' : a.leftAt ? 'stopped' : 'not connected'}
            </span>{' '}
            {a.id} <span className="muted small">{a.version}</span>
            <div className="muted small">
              {a.awsIdentityArn ?? 'no AWS identity'} ·{' '}
              {a.leftAt ? `stopped at ${a.leftAt}` : `last seen ${a.lastSeenAt}`}
            </div>
          </li>
        ))}
      </ul>
      {r.queue && r.queue.queued > 0 && <div className="small">{r.queue.queued} queued</div>}
      {r.waiting && <div className="reason small">{r.waiting}</div>}
    </>
  );
}
