import { request } from '../api/client.js';
import { IntegrationList, type IntegrationView } from '../api/schemas.js';
import { ErrorWithRetry, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { shortSha, when } from '../format.js';
import { Link, NEW_INTEGRATION_PATH } from '../router.js';
import { useCanWrite, WriteOnly } from '../principal.js';
import { addPath, TYPE_FORMS, typeFormFor } from './integration-form/registry.js';
import { sectionView } from '../../../src/integrations/types/definition.js';
import { registryEcrDefinition } from '../../../src/integrations/types/registry-ecr/definition.js';

/** The way each type authenticates, as the API's one word says it (ECR mode, `token`, Jira auth kind). */
export const MODE_LABEL: Record<string, string> = {
  iamRole: 'IAM role',
  accessKey: 'Access key',
  token: 'Token',
  cloud: 'Email + API token',
  server: 'Personal access token',
};

export function modeLabel(mode: string): string {
  return Object.hasOwn(MODE_LABEL, mode) ? (MODE_LABEL[mode] as string) : mode;
}

/** One line for the list's Type column: the type's own summary, or its name for a type this dashboard lacks. */
function typeText(i: IntegrationView): string {
  return typeFormFor(i.type)?.summary(i) ?? i.type;
}

function modeOf(i: IntegrationView): string {
  // A server without the common `mode` word said it only in ECR's section.
  const mode = i.mode ?? sectionView(registryEcrDefinition, i)?.mode;
  return mode ? modeLabel(mode) : '—';
}

/** One add button per type the dashboard can add. */
function AddButtons() {
  return (
    <WriteOnly>
      <span className="add-buttons">
        {Object.values(TYPE_FORMS).map((f) => (
          <Link
            key={f.type}
            to={addPath(f, NEW_INTEGRATION_PATH)}
            className={f.type === 'registry.ecr' ? 'button primary' : 'button'}
          >
            {f.addLabel}
          </Link>
        ))}
      </span>
    </WriteOnly>
  );
}

export function sharingText(s: IntegrationView['sharing']): string {
  return 'allRuntimes' in s ? 'All runtimes' : s.runtimes.join(', ');
}

/** Integrations of every type: where each is shared, whether each runtime can use it and why not, its last commit. */
export function IntegrationsPage() {
  const [list, reload] = useLoad((signal) => request('/integrations', IntegrationList, { signal }), []);
  return (
    <section aria-labelledby="integrations-title">
      <div className="page-head">
        <PageTitle>
          <span id="integrations-title">Integrations</span>
        </PageTitle>
        <AddButtons />
      </div>
      <p className="muted">
        Integrations (registries, Git hosts, issue trackers) are resources in the shared configuration
        repository; secrets are sealed. A change may take a moment to reach each runtime.
      </p>
      {list.state === 'loading' && <Loading what="integrations" />}
      {list.state === 'error' && <ErrorWithRetry error={list.error} onRetry={reload} />}
      {list.state === 'ok' && list.data.items.length === 0 && <p className="empty">No integrations yet.</p>}
      {list.state === 'ok' && list.data.items.length > 0 && (
        <TableWrap label="Integrations">
          <table className="data">
            <caption className="visually-hidden">Integrations, with availability on each runtime</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Mode</th>
                <th scope="col">Shared with</th>
                <th scope="col">Availability</th>
                <th scope="col">Last commit</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((i) => (
                <tr key={i.name} data-integration={i.name}>
                  <th scope="row">
                    <IntegrationName name={i.name} />
                    {i.description && <div className="muted small">{i.description}</div>}
                    {i.problems.length > 0 && (
                      <div
                        className="badge badge-bad"
                        title={i.problems.map((p) => `${p.file} ${p.path}: ${p.message}`).join('\n')}
                      >
                        {i.problems.length} problem{i.problems.length > 1 ? 's' : ''}
                      </div>
                    )}
                  </th>
                  <td>{typeText(i)}</td>
                  <td>{modeOf(i)}</td>
                  <td>{sharingText(i.sharing)}</td>
                  <td>
                    <Availability items={i.availability} />
                  </td>
                  <td>
                    {i.lastCommit ? (
                      <>
                        <code title={i.lastCommit.sha}>{shortSha(i.lastCommit.sha)}</code>{' '}
                        <span className="small">{i.lastCommit.subject}</span>
                        <div className="muted small">{when(i.lastCommit.time)}</div>
                      </>
                    ) : (
                      '—'
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

/** The name links to the edit page for an admin; a viewer (who has no edit page) reads it as text. */
export function IntegrationName({ name }: { name: string }) {
  return useCanWrite() ? <Link to={`/integrations/${encodeURIComponent(name)}`}>{name}</Link> : <>{name}</>;
}

export function Availability({ items }: { items: IntegrationView['availability'] }) {
  if (items.length === 0) return <span className="muted">No runtime</span>;
  return (
    <ul className="availability">
      {items.map((a) => (
        <li key={a.runtime} className={a.available ? 'avail-ok' : 'avail-no'}>
          <span className={`badge ${a.available ? 'badge-ok' : 'badge-bad'}`}>
            <span aria-hidden="true">{a.available ? '✓' : '✕'}</span> {a.runtime}
            <span className="visually-hidden">{a.available ? ': available' : ': unavailable'}</span>
          </span>
          {a.reason && <span className="reason small"> {a.reason}</span>}
        </li>
      ))}
    </ul>
  );
}
