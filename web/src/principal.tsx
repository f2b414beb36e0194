import { createContext, useContext, type ReactNode } from 'react';
import type { SessionView } from './api/schemas.js';
import { PageTitle } from './components/ui.js';
import { Link } from './router.js';

/**
 * Who is signed in, as `POST /api/v1/session` said. A token without the admin scope (a viewer) reads but
 * may change nothing, so the dashboard hides its mutation controls; this is courtesy, not the guard: the
 * server answers 403 to every mutation a viewer tries.
 */
const PrincipalContext = createContext<SessionView | null>(null);
export const PrincipalProvider = PrincipalContext.Provider;

export function usePrincipal(): SessionView | null {
  return useContext(PrincipalContext);
}

/** Whether the signed-in token may change things (add, edit, delete, test integrations). */
export function useCanWrite(): boolean {
  return usePrincipal()?.scopes.includes('admin') ?? false;
}

/** Renders its children only for a token that may change things. */
export function WriteOnly({ children }: { children: ReactNode }) {
  return useCanWrite() ? <>{children}</> : null;
}

/** The small marker in the top bar that this session cannot change anything. */
export function ReadOnlyBadge() {
  const p = usePrincipal();
  if (!p || p.scopes.includes('admin')) return null;
  return (
    <span className="badge readonly-badge" title={`Signed in as ${p.name}: this token can read, not change`}>
      read-only (viewer)
    </span>
  );
}

/** Shown instead of a form the token may not submit (a direct visit to an add or edit address). */
export function ReadOnlyPage({ what }: { what: string }) {
  return (
    <section aria-labelledby="readonly-title">
      <PageTitle>
        <span id="readonly-title">Read-only access</span>
      </PageTitle>
      <p className="box box-info" role="status">
        Your token is read-only (viewer scope): it cannot {what}. Ask an administrator, or sign in with a
        token that has the <code>admin</code> scope.
      </p>
      <p>
        The <Link to="/integrations">integrations list</Link> shows every integration, where it is shared and
        whether each runtime can use it.
      </p>
    </section>
  );
}
