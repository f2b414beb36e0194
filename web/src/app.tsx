import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { onUnauthorized, session } from './api/client.js';
import { currentSsoSession, ssoSignOut } from './api/sso.js';
import { Link, match, NEW_INTEGRATION_PATH, RouterProvider, useRouter } from './router.js';
import { SignIn } from './pages/sign-in.js';
import {
  ApplicationDetailPage,
  ApplicationsPage,
  AuditPage,
  ImageDetailPage,
  ImagesPage,
  IntegrationFormPage,
  IntegrationsPage,
  PageSlot,
  ReportsPage,
  RuntimesPage,
} from './pages/lazy.js';
import { PrincipalProvider, ReadOnlyBadge, ReadOnlyPage, useCanWrite } from './principal.js';
import { NoticeContext, type Notice } from './notice.js';

export function App() {
  return (
    <RouterProvider>
      <Shell />
    </RouterProvider>
  );
}

function Shell() {
  const { path, navigate } = useRouter();
  // A token kept without whom it belongs to (a tab signed in before scopes were kept) signs in again.
  const [principal, setPrincipal] = useState(() => (session.token() !== null ? session.principal() : null));
  const signedIn = principal !== null;
  const [notice, setNotice] = useState<Notice | null>(null);
  const [expired, setExpired] = useState(false);
  // Without a token, the browser may hold an SSO session cookie (back from the provider): ask the server.
  const [checkingSso, setCheckingSso] = useState(() => session.token() === null);

  useEffect(() => {
    if (!checkingSso) return;
    let live = true;
    void currentSsoSession().then((who) => {
      if (!live) return;
      if (who) setPrincipal(who);
      setCheckingSso(false);
    });
    return () => {
      live = false;
    };
  }, [checkingSso]);

  useEffect(
    () =>
      onUnauthorized(() => {
        session.clear();
        setExpired(true);
        setPrincipal(null);
      }),
    [],
  );

  const signOut = useCallback(() => {
    if (principal?.via === 'sso') void ssoSignOut();
    session.clear();
    setPrincipal(null);
    setExpired(false);
    navigate('/signin');
  }, [navigate, principal]);

  return (
    <PrincipalProvider value={principal}>
      <NoticeContext.Provider value={{ notice, setNotice }}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <div className="brand">
            <Link to="/integrations">imagetrail</Link>
          </div>
          {signedIn && <MainNav admin={principal.scopes.includes('admin')} />}
          {signedIn && <ReadOnlyBadge />}
          {signedIn && (
            <button type="button" className="button-link signout" onClick={signOut}>
              Sign out
            </button>
          )}
        </header>
        <main id="main" tabIndex={-1}>
          <div className="notice-region" aria-live="polite" role="status">
            {signedIn && notice && notice.path === path && <p className="box box-ok">{notice.text}</p>}
          </div>
          {signedIn ? (
            <PageSlot path={path}>
              <Page />
            </PageSlot>
          ) : checkingSso ? (
            <p className="loading">Loading…</p>
          ) : (
            <SignIn
              expired={expired}
              onSignedIn={(p) => {
                setPrincipal(p);
                setExpired(false);
                if (path === '/' || path === '/signin') navigate('/integrations', { replace: true });
              }}
            />
          )}
        </main>
      </NoticeContext.Provider>
    </PrincipalProvider>
  );
}

function MainNav({ admin }: { admin: boolean }) {
  return (
    <nav aria-label="Main">
      <ul>
        <NavItem to="/integrations" label="Integrations" />
        <NavItem to="/runtimes" label="Runtimes" />
        <NavItem to="/images" label="Images" />
        <NavItem to="/applications" label="Applications" />
        <NavItem to="/reports" label="Reports" />
        {admin && <NavItem to="/audit" label="Audit" />}
      </ul>
    </nav>
  );
}

function NavItem({ to, label }: { to: string; label: string }) {
  const { path } = useRouter();
  const current = path === to || path.startsWith(to + '/');
  return (
    <li>
      <Link to={to} aria-current={current ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );
}

function Page(): ReactNode {
  const { path, navigate } = useRouter();
  const canWrite = useCanWrite();
  useEffect(() => {
    if (path === '/' || path === '/signin') navigate('/integrations', { replace: true });
  }, [path, navigate]);
  if (path === '/' || path === '/signin') return null;
  if (match('/integrations', path)) return <IntegrationsPage />;
  // The create form lives at a path no integration name can take (DNS labels never start with "_"), so
  // an integration named "new" opens like any other.
  // A viewer gets a plain "read-only" page at the add and edit addresses, not a form the server would refuse.
  if (match(NEW_INTEGRATION_PATH, path))
    return canWrite ? <IntegrationFormPage key="_new" /> : <ReadOnlyPage what="add integrations" />;
  const edit = match('/integrations/:name', path);
  if (edit?.['name'])
    return canWrite ? (
      <IntegrationFormPage key={edit['name']} name={edit['name']} />
    ) : (
      <ReadOnlyPage what="edit, test or delete integrations" />
    );
  if (match('/runtimes', path)) return <RuntimesPage />;
  if (match('/images', path)) return <ImagesPage />;
  if (match('/reports', path)) return <ReportsPage />;
  if (match('/audit', path)) return <AuditPage />;
  if (match('/applications', path)) return <ApplicationsPage />;
  const application = match('/applications/:name', path);
  if (application?.['name'])
    return <ApplicationDetailPage key={application['name']} name={application['name']} />;
  const img = match('/images/:id', path);
  if (img?.['id']) return <ImageDetailPage key={img['id']} id={img['id']} />;
  return (
    <section>
      <h1 className="page-title">Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. Go to the <Link to="/integrations">integrations</Link>.
      </p>
    </section>
  );
}
