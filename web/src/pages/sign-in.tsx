import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, request, session } from '../api/client.js';
import { SessionView } from '../api/schemas.js';
import { authMethods, type AuthMethods } from '../api/sso.js';
import { ErrorBox, PageTitle } from '../components/ui.js';

const MESSAGES: Partial<Record<ApiError['kind'], string>> = {
  unreachable:
    'Cannot reach the imagetrail server. Check that `imagetrail serve` is running and reachable from here.',
  unauthorized: 'The server refused this token: it is not valid or has been revoked.',
  forbidden: 'This token is valid, but it lacks the admin or viewer scope the dashboard needs.',
};

/**
 * Sign-in with an API token. The token is checked against the API before it is kept, and kept only in
 * sessionStorage: this tab, until it closes; never in a URL.
 */
export function SignIn({
  onSignedIn,
  expired,
}: {
  onSignedIn: (who: SessionView) => void;
  expired: boolean;
}) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [methods, setMethods] = useState<AuthMethods | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    void authMethods(ctl.signal).then(setMethods);
    return () => ctl.abort();
  }, []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const t = token.trim();
    if (t === '') {
      setError(new ApiError('input', 'Enter an API token.', undefined));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // The server checks the token and records the sign-in on the audit trail; the token stays here.
      const who = await request('/session', SessionView, {
        method: 'POST',
        token: t,
        signal: AbortSignal.timeout(20_000),
      });
      session.set(t, who);
      setToken('');
      onSignedIn(who);
    } catch (err) {
      setError(friendlyError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="signin" aria-labelledby="signin-title">
      <PageTitle>
        <span id="signin-title">Sign in</span>
      </PageTitle>
      {expired && (
        <p className="box box-info" role="status">
          Your session ended: the server no longer accepts the token. Sign in again.
        </p>
      )}
      {methods?.sso && <SsoSignIn loginUrl={methods.sso.loginUrl} />}
      <p>
        {methods?.sso ? 'Or use' : 'Use'} an API token with the <code>admin</code> scope (or{' '}
        <code>viewer</code>, to look without changing anything). The first one is in the server&apos;s data
        directory (<code>.imagetrail/admin-token</code>
        ); more with <code>imagetrail token create NAME --scope admin</code>.
      </p>
      <TokenForm
        token={token}
        onToken={setToken}
        busy={busy}
        error={error}
        onSubmit={(e) => void submit(e)}
      />
    </section>
  );
}

/** The API token field: kept in this tab only, never in a URL. */
function TokenForm(props: {
  token: string;
  onToken: (t: string) => void;
  busy: boolean;
  error: ApiError | null;
  onSubmit: (e: FormEvent) => void;
}) {
  const { token, onToken, busy, error, onSubmit } = props;
  return (
    <form onSubmit={onSubmit} noValidate className="card">
      <div className="field">
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => onToken(e.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? 'signin-error' : undefined}
          required
        />
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </div>
      <div id="signin-error">{error && <ErrorBox error={error} />}</div>
      <p className="muted small">
        The token is kept in this browser tab only (session storage) and sent as a bearer header.
      </p>
    </form>
  );
}

/** The API's error, said the way a person signing in needs it. */
function friendlyError(err: unknown): ApiError {
  const e = err instanceof ApiError ? err : new ApiError('server', String(err), undefined);
  const friendly = MESSAGES[e.kind];
  if (!friendly) return e;
  return new ApiError(
    e.kind,
    e.payload ? `${friendly} Server: ${e.payload.message}` : friendly,
    e.status,
    e.payload,
  );
}

/** The single sign-on button: a plain link, since the browser itself must go to the provider and back. */
function SsoSignIn({ loginUrl }: { loginUrl: string }) {
  const here = window.location.pathname;
  const back = here === '/' || here === '/signin' ? '/integrations' : here + window.location.search;
  return (
    <div className="card sso-signin">
      <p>Sign in with your organisation&apos;s account; your groups decide whether you may change things.</p>
      <div className="actions">
        <a className="button primary" href={`${loginUrl}?return=${encodeURIComponent(back)}`}>
          Sign in with SSO
        </a>
      </div>
    </div>
  );
}
