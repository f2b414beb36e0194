import type { ReactNode } from 'react';
import { safeUrl } from '../format.js';

/** A link only when the URL is safe to follow (http/https); otherwise just the text. */
export function ExtLink({ href, children }: { href: string | undefined; children: ReactNode }) {
  const url = safeUrl(href);
  return url ? (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ) : (
    <>{children}</>
  );
}

export function Row({ k, children }: { k: string; children: ReactNode }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{children ?? '—'}</dd>
    </>
  );
}

export function KeyValues({ title, entries }: { title: string; entries: Array<[string, string]> }) {
  return (
    <>
      <h3>{title}</h3>
      <dl className="kv kv-wide">
        {entries.map(([k, v]) => (
          <Row key={k} k={k}>
            <span className="wrap">{safeUrl(v) ? <ExtLink href={v}>{v}</ExtLink> : v}</span>
          </Row>
        ))}
      </dl>
    </>
  );
}
