import { useState } from 'react';
import { FilterForm, SearchField } from '../components/filter-form.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { request } from '../api/client.js';
import { AuditPage as AuditPageSchema, type AuditItem } from '../api/schemas.js';
import { ErrorWithRetry, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { when } from '../format.js';
import { useRouter } from '../router.js';

const FILTERS = ['action', 'actor', 'since'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;

/**
 * The audit trail, newest first: configuration, token and runtime changes, uses of stored secrets and
 * sign-ins, with who did them. Filters live in the URL, so a filtered view can be shared.
 */
export function AuditPage() {
  const { search, navigate } = useRouter();
  const applied: Filters = {
    action: search.get('action') ?? '',
    actor: search.get('actor') ?? '',
    since: search.get('since') ?? '',
  };
  const [draft, setDraft] = useState<Filters>(applied);
  const key = FILTERS.map((f) => applied[f]).join('\u0000');
  const pages = useCursorPages(key);
  const cursor = pages.cursor;

  const [list, reload] = useLoad(
    (signal) => {
      const q = new URLSearchParams({ limit: '50' });
      for (const f of FILTERS) if (applied[f]) q.set(f, applied[f]);
      if (cursor) q.set('cursor', cursor);
      return request(`/audit?${q.toString()}`, AuditPageSchema, { signal });
    },
    [key, cursor],
  );

  const apply = () => {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (draft[f].trim()) q.set(f, draft[f].trim());
    navigate(`/audit${q.size ? `?${q.toString()}` : ''}`);
  };
  const input = (f: keyof Filters, label: string, placeholder: string) => (
    <SearchField
      id={`audit-${f}`}
      label={label}
      value={draft[f]}
      placeholder={placeholder}
      onChange={(v) => setDraft({ ...draft, [f]: v })}
    />
  );

  return (
    <section aria-labelledby="audit-title">
      <PageTitle>
        <span id="audit-title">Audit</span>
      </PageTitle>
      <FilterForm label="Filter audit events" onApply={apply}>
        {input('action', 'Action', 'integration.* or token.create')}
        {input('actor', 'Actor (token name or id)', 'initial admin')}
        {input('since', 'Since (ISO 8601)', '2030-01-31T00:00:00Z')}
      </FilterForm>
      {list.state === 'loading' && <Loading what="audit events" />}
      {list.state === 'error' && <ErrorWithRetry error={list.error} onRetry={reload} />}
      {list.state === 'ok' && list.data.items.length === 0 && (
        <p className="muted" role="status">
          No audit event matches.
        </p>
      )}
      {list.state === 'ok' && list.data.items.length > 0 && <AuditTable items={list.data.items} />}
      {list.state === 'ok' && <Pager pages={pages} nextCursor={list.data.nextCursor} />}
    </section>
  );
}

function AuditTable({ items }: { items: AuditItem[] }) {
  return (
    <TableWrap label="Audit events">
      <table className="data">
        <caption className="visually-hidden">Audit events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id} data-audit={e.id}>
              <td title={e.at}>{when(e.at)}</td>
              <td title={e.actor?.id}>{e.actor?.name ?? <span className="muted">server</span>}</td>
              <th scope="row">
                <code>{e.action}</code>
              </th>
              <td className="wrap">{e.target ?? '—'}</td>
              <td className="wrap small">
                <Detail detail={e.detail} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function Detail({ detail }: { detail: Record<string, unknown> }) {
  const entries = Object.entries(detail);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="audit-detail">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt> <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
