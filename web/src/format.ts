/** Display helpers: sizes, times, digests and SHAs, the same way on every page. */

export function bytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function shortSha(sha: string | undefined | null): string {
  return sha ? sha.slice(0, 7) : '—';
}

/** `sha256:0123456789ab…` */
export function shortDigest(d: string): string {
  const [alg, hex] = d.includes(':') ? d.split(':', 2) : ['', d];
  return hex && hex.length > 12 ? `${alg ? alg + ':' : ''}${hex.slice(0, 12)}…` : d;
}

export function platform(p: { os: string; architecture: string; variant?: string | undefined }): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Only http(s) links are rendered as links: a `javascript:` URL from a report must never be clickable. */
export function safeUrl(u: string | undefined): string | undefined {
  if (!u) return undefined;
  try {
    const url = new URL(u);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
