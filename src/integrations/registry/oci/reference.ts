import { isIPv6 } from 'node:net';
import { InputError } from '../../../domain/errors.js';
import { canonicalRegistry, DOCKER_HUB } from '../../../domain/registry-host.js';

/**
 * An image reference parsed per the distribution reference grammar
 * (github.com/distribution/reference, `reference.go` / `normalize.go`), normalised the way the Docker CLI
 * does it: `nginx` → `docker.io/library/nginx:latest`.
 */
export interface ImageReference {
  /** Registry host, canonical: lower case, default port dropped (IPv6 in brackets); Docker Hub is `docker.io`. */
  registry: string;
  /** Repository path, lowercase components separated by `/`, e.g. `library/nginx`. */
  repository: string;
  /** Absent only when a digest is given and no tag. */
  tag?: string;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  digest?: string;
  /** The string that was parsed, untouched, for messages. */
  original: string;
}

export { DOCKER_HUB };
/** Docker Hub's registry API is not served on `docker.io` itself. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** distribution's NameTotalLengthMax: domain + `/` + path. */
export const NAME_MAX_LENGTH = 255;
export const TAG_MAX_LENGTH = 128;
/** Far above any real reference; stops pathological input before the regexes see it. */
const REFERENCE_MAX_LENGTH = 4096;

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
/** The algorithms registries actually use; anything else would not be verifiable by us anyway. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };
const DIGEST = /^([a-z0-9]+):([0-9a-f]+)$/;

function fail(original: string, what: string): never {
  // JSON.stringify keeps control characters and quotes in user input visible and unambiguous.
  throw new InputError(`Invalid image reference ${JSON.stringify(original)}: ${what}`);
}

/** Validates a digest string (`sha256:<64 hex>`), throwing an InputError that says what is wrong. */
export function parseDigest(digest: string, original = digest): string {
  const m = DIGEST.exec(digest);
  if (!m) {
    fail(original, `digest ${JSON.stringify(digest)} must look like sha256:<64 lowercase hex digits>`);
  }
  const [, algorithm = '', hex = ''] = m;
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) {
    fail(original, `digest algorithm ${JSON.stringify(algorithm)} is not supported (use sha256 or sha512)`);
  }
  if (hex.length !== expected) {
    fail(original, `a ${algorithm} digest has ${expected} hex digits, this one has ${hex.length}`);
  }
  return digest;
}

export function isDigest(value: string): boolean {
  const m = DIGEST.exec(value);
  return !!m && DIGEST_HEX_LENGTH[m[1] ?? ''] === (m[2] ?? '').length;
}

function validateDomain(domain: string, original: string): void {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const end = domain.indexOf(']');
    if (end < 0) fail(original, `registry ${JSON.stringify(domain)} has an unclosed IPv6 bracket`);
    host = domain.slice(1, end);
    const rest = domain.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) fail(original, `unexpected ${JSON.stringify(rest)} after the IPv6 address`);
      port = rest.slice(1);
    }
    if (!isIPv6(host) || host.includes('%')) fail(original, `${JSON.stringify(host)} is not an IPv6 address`);
  } else {
    const colon = domain.indexOf(':');
    if (colon >= 0) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (host === '') fail(original, 'the registry host is empty');
    for (const c of host.split('.')) {
      if (!DOMAIN_COMPONENT.test(c)) {
        fail(
          original,
          `registry host ${JSON.stringify(host)} is invalid: each dot-separated part is letters, digits and inner hyphens`,
        );
      }
    }
  }
  if (port !== undefined) {
    if (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535) {
      fail(original, `registry port ${JSON.stringify(port)} must be a number from 1 to 65535`);
    }
  }
}

function validatePath(path: string, original: string): void {
  if (path === '') fail(original, 'the repository name is empty');
  for (const c of path.split('/')) {
    if (c === '') fail(original, `repository ${JSON.stringify(path)} has an empty path component`);
    if (c !== c.toLowerCase() && PATH_COMPONENT.test(c.toLowerCase())) {
      fail(original, `repository name must be lowercase (${JSON.stringify(c)})`);
    }
    if (!PATH_COMPONENT.test(c)) {
      fail(
        original,
        `repository path component ${JSON.stringify(c)} is invalid: use lowercase letters and digits, separated by ".", "_", "__" or "-"`,
      );
    }
  }
}

/**
 * Parses and normalises an image reference. Throws InputError (and only InputError) naming the part that
 * is wrong. A reference without tag or digest gets the tag `latest`, as `docker pull` does.
 */
export function parseReference(input: string): ImageReference {
  const original = input;
  if (typeof input !== 'string' || input === '') throw new InputError('Invalid image reference: it is empty');
  if (input.length > REFERENCE_MAX_LENGTH) fail(original.slice(0, 64) + '…', 'it is far too long');
  if (input.trim() !== input) fail(original, 'it has leading or trailing whitespace');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = parseDigest(rest.slice(at + 1), original);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/') && lastColon > rest.lastIndexOf(']')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (tag.length > TAG_MAX_LENGTH)
      fail(original, `tag is ${tag.length} characters, the limit is ${TAG_MAX_LENGTH}`);
    if (!TAG.test(tag)) {
      fail(
        original,
        `tag ${JSON.stringify(tag)} is invalid: letters, digits, "_", "." and "-", not starting with "." or "-"`,
      );
    }
  }
  if (rest === '') fail(original, 'the repository name is empty');

  let registry: string;
  let repository: string;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  // normalize.go splitDockerDomain: the first component is a registry only if it looks like a host.
  const firstIsDomain =
    slash >= 0 &&
    (first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first.startsWith('[') ||
      first !== first.toLowerCase());
  if (firstIsDomain) {
    registry = first;
    repository = rest.slice(slash + 1);
    validateDomain(registry, original);
  } else {
    registry = DOCKER_HUB;
    repository = rest;
  }
  // One registry, one name: lower case, no default port, one Docker Hub (see registry-host.ts).
  registry = canonicalRegistry(registry);
  validatePath(repository, original);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  const nameLength = registry.length + 1 + repository.length;
  if (nameLength > NAME_MAX_LENGTH) {
    fail(original, `the name is ${nameLength} characters, the limit is ${NAME_MAX_LENGTH}`);
  }
  if (tag === undefined && digest === undefined) tag = 'latest';

  const ref: ImageReference = { registry, repository, original };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Canonical fully-qualified form: `registry/repository[:tag][@digest]`. `parseReference` reads it back. */
export function formatReference(
  ref: Pick<ImageReference, 'registry' | 'repository' | 'tag' | 'digest'>,
): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The host that serves the registry API for a reference's registry (Docker Hub differs from its name). */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/**
 * Base URL of the registry API. Loopback registries are plain HTTP, as the Docker daemon assumes for
 * `localhost`; everything else is HTTPS. Integrations with an endpoint override do not use this.
 */
export function defaultRegistryEndpoint(registry: string): string {
  const host = registryApiHost(registry);
  const bare = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? host);
  const loopback = bare === 'localhost' || bare.startsWith('127.') || bare === '[::1]';
  return `${loopback ? 'http' : 'https'}://${host}`;
}

/** The reference to ask the registry for: the digest when known (immutable), else the tag. */
export function manifestReference(ref: Pick<ImageReference, 'tag' | 'digest'>): string {
  return ref.digest ?? ref.tag ?? 'latest';
}
