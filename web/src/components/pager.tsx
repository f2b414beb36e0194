import { useState } from 'react';

/**
 * Cursor paging of a list whose filters are summed up in `key`: the cursors of the pages gone through, newest
 * last; other filters start again from the first page.
 */
export function useCursorPages(key: string) {
  const [cursors, setCursors] = useState<{ key: string; stack: string[] }>({ key: '', stack: [] });
  const stack = cursors.key === key ? cursors.stack : [];
  return {
    cursor: stack.at(-1),
    newer: stack.length > 0 ? () => setCursors({ key, stack: stack.slice(0, -1) }) : undefined,
    older: (next: string) => setCursors({ key, stack: [...stack, next] }),
  };
}

/** "← Newer" and "Older →", shown when there is another page either way. */
export function Pager({
  pages,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
}) {
  if (!pages.newer && !nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={!pages.newer} onClick={pages.newer}>
        ← Newer
      </button>
      <button type="button" disabled={!nextCursor} onClick={() => pages.older(nextCursor ?? '')}>
        Older →
      </button>
    </nav>
  );
}
