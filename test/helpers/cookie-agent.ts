/**
 * A small browser stand-in for HTTP-level sign-in tests: a cookie jar (host-wide like a browser's, Path
 * honoured, deletions honoured), redirects followed by hand so each hop can be looked at, and the form posts
 * of the test OpenID provider's login and consent pages. The Chromium tests drive the same pages for real.
 */

interface Cookie {
  value: string;
  path: string;
}

export interface Hop {
  status: number;
  url: string;
  location: string | null;
  body: string;
}

export class CookieAgent {
  /** host → name → cookie. Like a browser, cookies are per host, not per port. */
  readonly jar = new Map<string, Map<string, Cookie>>();

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).hostname)?.get(name)?.value;
  }

  private header(url: URL): string {
    const cookies = this.jar.get(url.hostname) ?? new Map<string, Cookie>();
    return [...cookies]
      .filter(
        ([, c]) =>
          url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : c.path + '/'),
      )
      .map(([n, c]) => `${n}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, res: Response): void {
    const host = url.hostname;
    const cookies = this.jar.get(host) ?? new Map<string, Cookie>();
    this.jar.set(host, cookies);
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = new Map(
        attrs.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=').slice(1).join('=')]),
      );
      const expires = attr.get('expires');
      const gone =
        attr.get('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (gone || value === '') cookies.delete(name);
      else cookies.set(name, { value, path: attr.get('path') || '/' });
    }
  }

  /** One request, no redirect following; cookies sent and stored. */
  async fetch(url: string, init: RequestInit = {}): Promise<Hop> {
    const u = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.header(u);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    this.store(u, res);
    const location = res.headers.get('location');
    return {
      status: res.status,
      url: u.href,
      location: location ? new URL(location, u).href : null,
      body: await res.text(),
    };
  }

  /** GETs and follows redirects while `until(url)` is false; returns the last hop (a page or the stop). */
  async follow(url: string, until: (next: string) => boolean = () => false): Promise<Hop> {
    let hop = await this.fetch(url);
    for (let i = 0; i < 20 && hop.location && !until(hop.location); i++) hop = await this.fetch(hop.location);
    return hop;
  }

  async postForm(url: string, fields: Record<string, string>): Promise<Hop> {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** The form's `action` on a provider page (login or consent). */
function formAction(hop: Hop): string {
  const m = /<form method="post" action="([^"]+)"/.exec(hop.body);
  if (!m?.[1]) throw new Error(`no form on ${hop.url} (${hop.status}):\n${hop.body.slice(0, 500)}`);
  return new URL(m[1], hop.url).href;
}

/**
 * Starts the dashboard's SSO sign-in, logs in and consents at the provider, and stops at the redirect back
 * to imagetrail's callback, which it returns without calling (so a test can tamper with it first).
 */
export async function signInAtProvider(
  agent: CookieAgent,
  imagetrailUrl: string,
  user: { login: string; password: string },
): Promise<string> {
  const isCallback = (u: string) => u.startsWith(imagetrailUrl + '/auth/oidc/callback');
  const login = await agent.follow(imagetrailUrl + '/auth/oidc/login', isCallback);
  let hop = await agent.postForm(formAction(login), user);
  if (hop.location && !isCallback(hop.location)) hop = await agent.follow(hop.location, isCallback);
  if (!hop.location) hop = await agent.postForm(formAction(hop), {});
  if (hop.location && !isCallback(hop.location)) hop = await agent.follow(hop.location, isCallback);
  if (!hop.location || !isCallback(hop.location)) {
    throw new Error(
      `the provider did not send the browser back (${hop.status} at ${hop.url}):\n${hop.body.slice(0, 500)}`,
    );
  }
  return hop.location;
}
