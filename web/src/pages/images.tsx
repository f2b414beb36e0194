import { useState, type FormEvent } from 'react';
import { request } from '../api/client.js';
import { ImageList } from '../api/schemas.js';
import { ErrorBox, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { bytes, platform, shortDigest, shortSha, when } from '../format.js';
import { Link, useRouter } from '../router.js';

const FILTERS = [
  { key: 'repository', label: 'Repository' },
  { key: 'tag', label: 'Tag' },
  { key: 'registry', label: 'Registry' },
  { key: 'branch', label: 'Git branch' },
  { key: 'commit', label: 'Commit SHA' },
  { key: 'issue', label: 'Jira issue' },
] as const;
type FilterKey = (typeof FILTERS)[number]['key'];

export const PAGE_SIZE = 25;

/** Reported images, newest first, with filters in the address (shareable) and cursor paging. */
export function ImagesPage() {
  const { search, navigate } = useRouter();
  const applied = Object.fromEntries(FILTERS.map((f) => [f.key, search.get(f.key) ?? ''])) as Record<
    FilterKey,
    string
  >;
  const limitParam = Number(search.get('limit'));
  const limit = Number.isInteger(limitParam) && limitParam >= 1 && limitParam <= 200 ? limitParam : PAGE_SIZE;
  // "Deployed only": images running now in a tracked cluster (issue 13).
  const deployedOnly = search.get('deployed') === 'true';
  const appliedKey = [...FILTERS.map((f) => applied[f.key]), String(limit), String(deployedOnly)].join(
    '\u0000',
  );
  const [draft, setDraft] = useState<Record<FilterKey, string>>(applied);
  const [draftDeployed, setDraftDeployed] = useState(deployedOnly);
  // Cursors of the pages before this one (for "Previous"), and this page's cursor.
  const [pages, setPages] = useState<{ key: string; stack: string[]; cursor: string | undefined }>({
    key: appliedKey,
    stack: [],
    cursor: undefined,
  });
  const paging = pages.key === appliedKey ? pages : { key: appliedKey, stack: [], cursor: undefined };

  const [list, reload] = useLoad(
    (signal) => {
      const q = new URLSearchParams();
      for (const f of FILTERS) if (applied[f.key]) q.set(f.key, applied[f.key]);
      if (deployedOnly) q.set('deployed', 'true');
      q.set('limit', String(limit));
      if (paging.cursor) q.set('cursor', paging.cursor);
      return request(`/images?${q.toString()}`, ImageList, { signal });
    },
    [appliedKey, paging.cursor],
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const f of FILTERS) if (draft[f.key].trim()) q.set(f.key, draft[f.key].trim());
    if (draftDeployed) q.set('deployed', 'true');
    if (limit !== PAGE_SIZE) q.set('limit', String(limit));
    const qs = q.toString();
    navigate(`/images${qs ? `?${qs}` : ''}`);
  }

  function clear() {
    setDraft(Object.fromEntries(FILTERS.map((f) => [f.key, ''])) as Record<FilterKey, string>);
    setDraftDeployed(false);
    navigate('/images');
  }

  const page = paging.stack.length + 1;
  const filtered = deployedOnly || FILTERS.some((f) => applied[f.key]);

  return (
    <section aria-labelledby="images-title">
      <PageTitle>
        <span id="images-title">Images</span>
      </PageTitle>
      <form className="card filters" onSubmit={submit} role="search" aria-label="Filter images">
        {FILTERS.map((f) => (
          <div className="field" key={f.key}>
            <label htmlFor={`filter-${f.key}`}>{f.label}</label>
            <input
              id={`filter-${f.key}`}
              type="search"
              value={draft[f.key]}
              onChange={(e) => setDraft((d) => ({ ...d, [f.key]: e.target.value }))}
              spellCheck={false}
              autoComplete="off"
            />
          </div>
        ))}
        <div className="field">
          <label htmlFor="filter-deployed">
            <input
              id="filter-deployed"
              type="checkbox"
              checked={draftDeployed}
              onChange={(e) => setDraftDeployed(e.target.checked)}
            />{' '}
            Deployed only
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          {filtered && (
            <button type="button" onClick={clear}>
              Clear
            </button>
          )}
        </div>
      </form>

      {list.state === 'loading' && <Loading what="images" />}
      {list.state === 'error' && (
        <>
          <ErrorBox
            error={list.error}
            {...(list.error.kind === 'not-found'
              ? { title: 'The images API is not available on this server' }
              : {})}
          />
          <button type="button" onClick={reload}>
            Retry
          </button>
        </>
      )}
      {list.state === 'ok' && (
        <>
          <p className="muted" role="status">
            {list.data.items.length === 0
              ? filtered
                ? 'No image matches these filters.'
                : 'No images reported yet. CI reports them with: imagetrail report-image --image REF --registry-integration NAME'
              : `Page ${page}: ${list.data.items.length} image${list.data.items.length === 1 ? '' : 's'}.`}
          </p>
          {list.data.items.length > 0 && (
            <TableWrap label="Images">
              <table className="data">
                <caption className="visually-hidden">Reported images</caption>
                <thead>
                  <tr>
                    <th scope="col">Image</th>
                    <th scope="col">Tags</th>
                    <th scope="col">Digest</th>
                    <th scope="col">Registry</th>
                    <th scope="col">Size</th>
                    <th scope="col">Latest commit</th>
                    <th scope="col">Created</th>
                    <th scope="col">Platforms</th>
                    <th scope="col">Deployed in</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((img) => (
                    <tr key={img.id} data-image={img.id}>
                      <th scope="row">
                        <Link to={`/images/${encodeURIComponent(img.id)}`}>{img.repository}</Link>
                      </th>
                      <td>
                        {img.tags.length ? (
                          <ul className="tags">
                            {img.tags.map((t) => (
                              <li key={t}>
                                <code>{t}</code>
                              </li>
                            ))}
                          </ul>
                        ) : (
                          <span className="muted">untagged</span>
                        )}
                      </td>
                      <td>
                        <code title={img.digest}>{shortDigest(img.digest)}</code>
                      </td>
                      <td className="wrap">{img.registry}</td>
                      <td>{bytes(img.size)}</td>
                      <td>
                        {img.git ? (
                          <>
                            {img.git.branch && <span className="badge">{img.git.branch}</span>}{' '}
                            <code title={img.git.sha}>{shortSha(img.git.sha)}</code>
                            {img.git.message && (
                              <div className="small clamp">{img.git.message.split('\n')[0]}</div>
                            )}
                          </>
                        ) : (
                          '—'
                        )}
                      </td>
                      <td>{when(img.createdAt ?? img.pushedAt)}</td>
                      <td>{img.platforms.map(platform).join(', ') || '—'}</td>
                      <td data-deployed-in={img.deployedIn ?? ''}>
                        {img.deployedIn === undefined ? '—' : img.deployedIn}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          {(paging.stack.length > 0 || list.data.nextCursor) && (
            <nav className="pager" aria-label="Pages">
              <button
                type="button"
                disabled={paging.stack.length === 0}
                onClick={() =>
                  setPages({
                    key: appliedKey,
                    stack: paging.stack.slice(0, -1),
                    cursor: paging.stack[paging.stack.length - 1] || undefined,
                  })
                }
              >
                ← Previous
              </button>
              <span className="muted">Page {page}</span>
              <button
                type="button"
                disabled={!list.data.nextCursor}
                onClick={() =>
                  setPages({
                    key: appliedKey,
                    stack: [...paging.stack, paging.cursor ?? ''],
                    cursor: list.data.nextCursor,
                  })
                }
              >
                Next →
              </button>
            </nav>
          )}
        </>
      )}
    </section>
  );
}
