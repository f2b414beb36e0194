import { statusClass, timedRemoteCall, type Telemetry } from '../../../domain/telemetry.js';
import type { Transport } from './transport.js';

/**
 * Counts and times each registry HTTP exchange (each redirect hop too). The operation is the kind of
 * Registry API v2 endpoint, read from the path; the repository, reference and host never become labels.
 */
export function meteredTransport(inner: Transport, telemetry: Telemetry): Transport {
  return (url, init) =>
    timedRemoteCall(
      telemetry,
      'registry',
      registryOperation(init.method, url),
      () => inner(url, init),
      (res) => statusClass(res.status),
    );
}

/** `GET:manifests`, `HEAD:blobs`, `GET:tags`, `GET:referrers`, `GET:base` (/v2/) or `GET:other`. */
export function registryOperation(method: string, url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return `${method}:other`;
  }
  const kind = /^\/v2\/?$/.test(path)
    ? 'base'
    : (/\/(manifests|blobs|referrers)\/[^/]+$/.exec(path)?.[1] ??
      (/\/tags\/list$/.test(path) ? 'tags' : 'other'));
  return `${method}:${kind}`;
}
