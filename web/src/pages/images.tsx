import { useState } from 'react';
import { request } from '../api/client.js';
import { ImageList } from '../api/schemas.js';
import { ErrorBox, Loading, PageTitle, TableWrap, useLoad } from '../components/ui.js';
import { FilterForm, SearchField } from '../components/filter-form.js';
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
  const f = useImageFilters();
  const paging = useImagePaging(f.appliedKey);
  const [list, reload] = useLoad(
    (signal) => {
      const q = new URLSearchParams();
      for (const k of FILTERS) if (f.applied[k.key]) q.set(k.key, f.applied[k.key]);
      if (f.deployedOnly) q.set('deployed', 'true');
      q.set('limit', String(f.limit));
      if (paging.cursor) q.set('cursor', paging.cursor);
      return request(`/images?${q.toString()}`, ImageList, { signal });
    },
    [f.appliedKey, paging.cursor],
  );
  const page = paging.page;
  const filtered = f.filtered;

  return (
    <section aria-labelledby="images-title">
      <PageTitle>
        <span id="images-title">Images</span>
      </PageTitle>
      <ImageFilters
        draft={f.draft}
        setDraft={f.setDraft}
        deployed={f.draftDeployed}
        setDeployed={f.setDraftDeployed}
        filtered={filtered}
        submit={f.submit}
        clear={f.clear}
      />
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
          {list.data.items.length > 0 && <ImagesTable items={list.data.items} />}
          {(paging.previous || list.data.nextCursor) && (
            <ImagesPager page={page} previous={paging.previous} next={paging.nextOf(list.data.nextCursor)} />
          )}
        </>
      )}
    </section>
  );
}

type ImageSummary = ImageList['items'][number];

/** The filters as applied (in the address, shareable) and as being edited in the form. */
function useImageFilters() {
  const { search, navigate } = useRouter();
  const applied = Object.fromEntries(FILTERS.map((f) => [f.key, search.get(f.key) ?? ''])) as Drafts;
  const limitParam = Number(search.get('limit'));
  const limit = Number.isInteger(limitParam) && limitParam >= 1 && limitParam <= 200 ? limitParam : PAGE_SIZE;
  // "Deployed only": images running now in a tracked cluster (issue 13).
  const deployedOnly = search.get('deployed') === 'true';
  const appliedKey = [...FILTERS.map((f) => applied[f.key]), String(limit), String(deployedOnly)].join(
    '\u0000',
  );
  const [draft, setDraft] = useState<Drafts>(applied);
  const [draftDeployed, setDraftDeployed] = useState(deployedOnly);

  function submit() {
    const q = new URLSearchParams();
    for (const f of FILTERS) if (draft[f.key].trim()) q.set(f.key, draft[f.key].trim());
    if (draftDeployed) q.set('deployed', 'true');
    if (limit !== PAGE_SIZE) q.set('limit', String(limit));
    const qs = q.toString();
    navigate(`/images${qs ? `?${qs}` : ''}`);
  }

  function clear() {
    setDraft(Object.fromEntries(FILTERS.map((f) => [f.key, ''])) as Drafts);
    setDraftDeployed(false);
    navigate('/images');
  }

  const filtered = deployedOnly || FILTERS.some((f) => applied[f.key]);
  return {
    applied,
    limit,
    deployedOnly,
    appliedKey,
    draft,
    setDraft,
    draftDeployed,
    setDraftDeployed,
    submit,
    clear,
    filtered,
  };
}

/** Cursors of the pages before this one (for "Previous"), and this page's; other filters start again at page 1. */
function useImagePaging(appliedKey: string) {
  const [pages, setPages] = useState<{ key: string; stack: string[]; cursor: string | undefined }>({
    key: appliedKey,
    stack: [],
    cursor: undefined,
  });
  const paging = pages.key === appliedKey ? pages : { key: appliedKey, stack: [], cursor: undefined };
  const { stack, cursor } = paging;
  return {
    cursor,
    page: stack.length + 1,
    previous:
      stack.length === 0
        ? undefined
        : () =>
            setPages({
              key: appliedKey,
              stack: stack.slice(0, -1),
              cursor: stack[stack.length - 1] || undefined,
            }),
    nextOf: (next: string | undefined) =>
      next ? () => setPages({ key: appliedKey, stack: [...stack, cursor ?? ''], cursor: next }) : undefined,
  };
}
type Drafts = Record<FilterKey, string>;

function ImageFilters(p: {
  draft: Drafts;
  setDraft: (update: (d: Drafts) => Drafts) => void;
  deployed: boolean;
  setDeployed: (on: boolean) => void;
  filtered: boolean;
  submit: () => void;
  clear: () => void;
}) {
  const { draft, setDraft, filtered, submit, clear } = p;
  return (
    <FilterForm
      label="Filter images"
      onApply={submit}
      actions={
        filtered && (
          <button type="button" onClick={clear}>
            Clear
          </button>
        )
      }
    >
      {FILTERS.map((f) => (
        <SearchField
          key={f.key}
          id={`filter-${f.key}`}
          label={f.label}
          value={draft[f.key]}
          onChange={(v) => setDraft((d) => ({ ...d, [f.key]: v }))}
        />
      ))}
      <div className="field">
        <label htmlFor="filter-deployed">
          <input
            id="filter-deployed"
            type="checkbox"
            checked={p.deployed}
            onChange={(e) => p.setDeployed(e.target.checked)}
          />{' '}
          Deployed only
        </label>
      </div>
    </FilterForm>
  );
}

function ImagesTable({ items }: { items: ImageSummary[] }) {
  return (
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
          {items.map((img) => (
            <ImageRow key={img.id} img={img} />
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function ImageRow({ img }: { img: ImageSummary }) {
  return (
    <tr data-image={img.id}>
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
            {img.git.message && <div className="small clamp">{img.git.message.split('\n')[0]}</div>}
          </>
        ) : (
          '—'
        )}
      </td>
      <td>{when(img.createdAt ?? img.pushedAt)}</td>
      <td>{img.platforms.map(platform).join(', ') || '—'}</td>
      <td data-deployed-in={img.deployedIn ?? ''}>{img.deployedIn === undefined ? '—' : img.deployedIn}</td>
    </tr>
  );
}

/** "← Previous", the page number and "Next →"; a missing callback disables its button. */
function ImagesPager({ page, previous, next }: { page: number; previous?: () => void; next?: () => void }) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={!previous} onClick={previous}>
        ← Previous
      </button>
      <span className="muted">Page {page}</span>
      <button type="button" disabled={!next} onClick={next}>
        Next →
      </button>
    </nav>
  );
}
