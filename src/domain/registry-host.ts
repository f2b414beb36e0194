/**
 * One registry, one name. Host names are case-insensitive (RFC 4343) and a URL's default port is the same
 * server as no port, so `ECR.example.com`, `ecr.example.com:443` and `ecr.example.com` are one registry; the
 * image record is keyed by registry + repository + digest, so without this one image became three records.
 */

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Split `host[:port]` / `[v6][:port]`; the port is undefined when absent. */
export function splitHostPort(registry: string): { host: string; port?: string } {
  if (registry.startsWith('[')) {
    const end = registry.indexOf(']');
    const rest = registry.slice(end + 1);
    return rest.startsWith(':')
      ? { host: registry.slice(0, end + 1), port: rest.slice(1) }
      : { host: registry };
  }
  const colon = registry.lastIndexOf(':');
  return colon >= 0
    ? { host: registry.slice(0, colon), port: registry.slice(colon + 1) }
    : { host: registry };
}

/** Loopback registries are spoken to over plain HTTP (as the Docker daemon does); all others over HTTPS. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h.startsWith('127.') || h === '[::1]';
}

/**
 * The canonical name of a (validated) registry host: lower case, without the default port of the scheme
 * imagetrail uses for it (:443 for HTTPS, :80 for a loopback registry on plain HTTP), and every Docker Hub
 * alias as `docker.io`. Idempotent.
 */
export function canonicalRegistry(registry: string): string {
  const { host, port } = splitHostPort(registry.toLowerCase());
  const defaultPort = isLoopbackHost(host) ? '80' : '443';
  const bare = port === undefined || Number(port) === Number(defaultPort) ? host : `${host}:${port}`;
  return DOCKER_HUB_ALIASES.has(bare) ? DOCKER_HUB : bare;
}
