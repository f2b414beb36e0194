import { useState } from 'react';
import { FilterForm, SearchField } from '../components/filter-form.js';
import { Pager, useCursorPages } from '../components/pager.js';
import { request } from '../api/client.js';
import { ReportList } from '../api/schemas.js';
import { ErrorWithRetry, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { when } from '../format.js';
import { Link, useRouter } from '../router.js';

const STATUSES = ['', 'failed', 'queued', 'running', 'succeeded'] as const;

/**
 * Image reports as CI sent them, newest first, failed ones with their reason: a CI step without --wait goes
 * green when the report is accepted, so this is where a later failure shows.
 */
export function ReportsPage() {
  const { search, navigate } = useRouter();
  const status = search.get('status') ?? '';
  const image = search.get('image') ?? '';
  const [draft, setDraft] = useState(image);
  const key = `${status}\u0000${image}`;
  const pages = useCursorPages(key);
  const cursor = pages.cursor;

  const [list, reload] = useLoad(
    (signal) => {
      const q = new URLSearchParams({ limit: '25' });
      if (status) q.set('status', status);
      if (image) q.set('image', image);
      if (cursor) q.set('cursor', cursor);
      return request(`/image-reports?${q.toString()}`, ReportList, { signal });
    },
    [key, cursor],
  );

  const go = (s: string, img: string) => {
    const q = new URLSearchParams();
    if (s) q.set('status', s);
    if (img.trim()) q.set('image', img.trim());
    navigate(`/reports${q.size ? `?${q.toString()}` : ''}`);
  };

  return (
    <section aria-labelledby="reports-title">
      <PageTitle>
        <span id="reports-title">Reports</span>
      </PageTitle>
      <FilterForm label="Filter reports" onApply={() => go(status, draft)}>
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select id="filter-status" value={status} onChange={(e) => go(e.target.value, draft)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </div>
        <SearchField id="filter-image" label="Image (or its start)" value={draft} onChange={setDraft} />
      </FilterForm>
      {list.state === 'loading' && <Loading what="reports" />}
      {list.state === 'error' && <ErrorWithRetry error={list.error} onRetry={reload} />}
      {list.state === 'ok' && list.data.items.length === 0 && (
        <p className="muted" role="status">
          No report matches.
        </p>
      )}
      {list.state === 'ok' && list.data.items.length > 0 && <ReportsTable items={list.data.items} />}
      {list.state === 'ok' && <Pager pages={pages} nextCursor={list.data.nextCursor} />}
    </section>
  );
}

type Report = ReportList['items'][number];

function ReportsTable({ items }: { items: Report[] }) {
  return (
    <TableWrap label="Reports">
      <table className="data">
        <caption className="visually-hidden">Image reports</caption>
        <thead>
          <tr>
            <th scope="col">Accepted</th>
            <th scope="col">Status</th>
            <th scope="col">Image</th>
            <th scope="col">Runtime</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <ReportRow key={r.id} r={r} />
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function ReportRow({ r }: { r: Report }) {
  return (
    <tr data-report={r.id}>
      <td title={r.id}>{when(r.createdAt)}</td>
      <td>
        <span
          className={`badge ${r.status === 'failed' ? 'badge-failed' : r.status === 'succeeded' ? 'badge-ok' : ''}`}
        >
          {r.status}
        </span>
      </td>
      <th scope="row" className="wrap">
        <code>{r.image}</code>
      </th>
      <td>{r.runtime ?? '—'}</td>
      <td className="wrap">
        {r.error ? (
          <span className="small">
            {r.error.message}
            {r.error.errorClass && <span className="muted"> ({r.error.errorClass})</span>}
          </span>
        ) : r.result ? (
          <Link to={`/images/${encodeURIComponent(r.result.imageId)}`}>the image</Link>
        ) : (
          <span className="muted">attempt {r.attempts}</span>
        )}
      </td>
    </tr>
  );
}
