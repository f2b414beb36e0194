import path from 'node:path';
import { InputError } from '../domain/errors.js';
import { ResourceName } from '../domain/names.js';

/**
 * The folder layout of the shared configuration repository, relative to the repository sub-path
 * (Codefresh ISC-compatible). Every name is validated before it becomes a path segment, so no caller can
 * build a path outside these folders.
 */
export const ALL_RUNTIMES_DIR = 'resources/all-runtimes-all-clusters';
export const RUNTIME_RESOURCES_DIR = 'resources/runtimes';
export const CONTROL_PLANES_DIR = 'resources/control-planes';
export const RUNTIMES_DIR = 'runtimes';
export const CONTROL_PLANE_FILE = 'resources/control-planes/control-plane.yaml';
export const RUNTIME_FILE_NAME = 'runtime.yaml';
export const IN_CLUSTER_FILE_NAME = 'in-cluster.yaml';

/** The folders imagetrail reads; anything else in the repository is left alone. */
export const LAYOUT_DIRS = [
  ALL_RUNTIMES_DIR,
  RUNTIME_RESOURCES_DIR,
  CONTROL_PLANES_DIR,
  RUNTIMES_DIR,
] as const;

/** Whom an integration is shared with, which is where its file lives. */
export type Placement = { scope: 'all' } | { scope: 'runtime'; runtime: string };

function name(value: string, what: string): string {
  const r = ResourceName.safeParse(value);
  if (!r.success) throw new InputError(`${what} "${value}" ${r.error.issues[0]?.message ?? 'is not valid'}`);
  return r.data;
}

export function integrationPath(placement: Placement, integration: string): string {
  const file = `${name(integration, 'integration name')}.yaml`;
  return placement.scope === 'all'
    ? `${ALL_RUNTIMES_DIR}/${file}`
    : `${RUNTIME_RESOURCES_DIR}/${name(placement.runtime, 'runtime name')}/${file}`;
}

export function runtimeDir(runtime: string): string {
  return `${RUNTIMES_DIR}/${name(runtime, 'runtime name')}`;
}

export function runtimePath(runtime: string): string {
  return `${runtimeDir(runtime)}/${RUNTIME_FILE_NAME}`;
}

export function inClusterPath(runtime: string): string {
  return `${runtimeDir(runtime)}/${IN_CLUSTER_FILE_NAME}`;
}

export function controlPlanePath(): string {
  return CONTROL_PLANE_FILE;
}

/** What a path in the layout is meant to hold, from its location alone. */
export type PathRole =
  | { role: 'runtime'; runtime: string }
  | { role: 'in-cluster'; runtime: string }
  /** Other files in `runtimes/<r>/` (Codefresh puts remote-cluster Applications there). */
  | { role: 'runtime-other'; runtime: string }
  | { role: 'integration'; placement: Placement; name: string }
  | { role: 'control-plane' }
  /** Elsewhere under `resources/control-planes/` (sealing keys and other control-plane manifests). */
  | { role: 'control-plane-other' }
  /** Inside a layout folder but not where an imagetrail resource can live (e.g. a nested folder). */
  | { role: 'layout-other' }
  | { role: 'outside' };

/**
 * Classifies a repo-relative POSIX path. Name segments that are not valid resource names classify as
 * `layout-other`, so the validator reports them instead of building resources from them.
 */
export function classifyPath(rel: string): PathRole {
  const p = path.posix.normalize(rel).replace(/^\.\/+/, '');
  const parts = p.split('/');
  const base = parts[parts.length - 1] ?? '';
  const stem = base.replace(/\.ya?ml$/, '');
  const isName = (s: string | undefined): s is string => s !== undefined && ResourceName.safeParse(s).success;

  if (p === CONTROL_PLANE_FILE) return { role: 'control-plane' };
  if (p.startsWith(`${CONTROL_PLANES_DIR}/`)) return { role: 'control-plane-other' };
  if (p.startsWith(`${ALL_RUNTIMES_DIR}/`)) {
    if (parts.length === 3 && base.endsWith('.yaml') && isName(stem)) {
      return { role: 'integration', placement: { scope: 'all' }, name: stem };
    }
    return { role: 'layout-other' };
  }
  if (p.startsWith(`${RUNTIME_RESOURCES_DIR}/`)) {
    const runtime = parts[2];
    if (parts.length === 4 && isName(runtime) && base.endsWith('.yaml') && isName(stem)) {
      return { role: 'integration', placement: { scope: 'runtime', runtime }, name: stem };
    }
    return { role: 'layout-other' };
  }
  if (p.startsWith(`${RUNTIMES_DIR}/`)) {
    const runtime = parts[1];
    if (parts.length === 3 && isName(runtime)) {
      if (base === RUNTIME_FILE_NAME) return { role: 'runtime', runtime };
      if (base === IN_CLUSTER_FILE_NAME) return { role: 'in-cluster', runtime };
      return { role: 'runtime-other', runtime };
    }
    return { role: 'layout-other' };
  }
  return { role: 'outside' };
}

/**
 * Checks a caller-supplied relative path (from a transaction) and returns it normalised: relative,
 * POSIX, no `..`, never inside `.git`.
 */
export const runtimeInClusterPath = (runtime: string): string => inClusterPath(runtime);

export function safeRelativePath(rel: string): string {
  const norm = path.posix
    .normalize(rel.replace(/\\/g, '/'))
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  if (
    norm === '' ||
    norm === '.' ||
    norm.startsWith('/') ||
    norm === '..' ||
    norm.startsWith('../') ||
    norm.split('/').some((s) => s === '.git' || s === '..')
  ) {
    throw new InputError(
      `path ${JSON.stringify(rel)} is not a relative path inside the configuration repository`,
    );
  }
  return norm;
}
