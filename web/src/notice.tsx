import { createContext, useContext } from 'react';

/**
 * A message that outlives a navigation ("Deleted prod-ecr in commit 1a2b3c4"), read by the next page. Its
 * own module, so pages set it without importing the app shell (which imports them).
 */
export interface Notice {
  text: string;
  /** The page it is for; it shows only there. */
  path: string;
}

export const NoticeContext = createContext<{ notice: Notice | null; setNotice: (n: Notice | null) => void }>({
  notice: null,
  setNotice: () => undefined,
});

export const useNotice = () => useContext(NoticeContext);
