import type { Dirent } from 'node:fs';
import { STRICT_ENDPOINTS, type EndpointPolicy } from '../domain/endpoints.js';
import { specEndpointProblems } from './endpoints.js';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ControlPlaneV1alpha1 } from './kinds/control-plane-v1alpha1.js';
import type { IntegrationV1alpha1 } from './kinds/integration-v1alpha1.js';
import type { RuntimeV1alpha1 } from './kinds/runtime-v1alpha1.js';
import { Git } from './git.js';
import { classifyPath, LAYOUT_DIRS, type Placement } from './layout.js';
import { validateFile, type Problem, type Resource } from './validate.js';

export type { Placement } from './layout.js';
export type { Problem } from './validate.js';

export interface IntegrationEntry {
  name: string;
  placement: Placement;
  /** Relative to the configuration root, usable with a mutation's `tx`. */
  file: string;
  resource: IntegrationV1alpha1;
}

/** Per-file memory of the last valid state, carried from one snapshot to the next. */
export interface FileState {
  resource: Resource;
  /** The commit the resource was read at. */
  validAt: string | null;
  /** Set while the file is invalid and `resource` is the last valid version still being served. */
  invalidSince?: string | null;
}

export interface ConfigSnapshot {
  commit: string | null;
  runtimes: Map<string, RuntimeV1alpha1>;
  controlPlane?: ControlPlaneV1alpha1;
  integrations: IntegrationEntry[];
  problems: Problem[];
  files: Map<string, FileState>;
}

/**
 * A check that needs more than the file: keys and pins kept outside Git (sealed values bound to their
 * place, pinned recipients). `reject` makes the resource count as invalid, so its last valid version keeps
 * serving, or nothing does.
 */
export type ResourceVerifier = (
  rel: string,
  resource: Resource,
) => Promise<{ problems: Problem[]; reject: boolean }>;

export interface LoadSnapshotOptions {
  verify?: ResourceVerifier;
  /** The commit the tree is at; looked up with `git rev-parse HEAD` when not given. */
  commit?: string | null;
  git?: Git;
  /** Where credentials may be sent; endpoints outside it are reported as problems. Default: strict. */
  endpoints?: EndpointPolicy;
}

const MAX_DEPTH = 6;

/**
 * Reads and validates the layout folders under `rootDir` (the repository sub-path). A file that was
 * valid in `previous` and is invalid now keeps serving its previous resource, with a problem saying so:
 * a typo pushed by hand must not switch off an integration that CI depends on.
 */
export async function loadSnapshot(
  rootDir: string,
  previous?: ConfigSnapshot,
  options: LoadSnapshotOptions = {},
): Promise<ConfigSnapshot> {
  const commit =
    options.commit !== undefined
      ? options.commit
      : await (options.git ?? new Git()).revParse(rootDir, 'HEAD').catch(() => null);
  const problems: Problem[] = [];
  const files = new Map<string, FileState>();

  const paths: string[] = [];
  for (const dir of LAYOUT_DIRS) {
    // A layout folder (or a folder above it) committed as a symlink would make readdir follow it out of
    // the repository (`runtimes -> /`): refuse it, say where it is, never follow it.
    const link = await symlinkOnPath(rootDir, dir);
    if (link) {
      if (!problems.some((p) => p.file === link)) problems.push(symlinkProblem(link));
      continue;
    }
    await walk(rootDir, dir, 0, paths, problems);
  }
  paths.sort();

  for (const rel of paths) {
    let text: string;
    try {
      text = await readFile(path.join(rootDir, rel), 'utf8');
    } catch (err) {
      problems.push({
        file: rel,
        path: '',
        severity: 'error',
        message: `cannot read: ${(err as Error).message}`,
      });
      continue;
    }
    const v = validateFile(rel, text);
    // Endpoints are checked on what Git holds now, even when the file is refused below for another reason.
    if (v.resource?.kind === 'Integration') {
      v.problems.push(...specEndpointProblems(rel, v.resource.spec, options.endpoints ?? STRICT_ENDPOINTS));
    }
    if (v.resource && options.verify) {
      const checked = await options.verify(rel, v.resource);
      v.problems.push(...checked.problems);
      if (checked.reject) delete v.resource;
    }
    problems.push(...v.problems);
    if (v.resource) {
      files.set(rel, { resource: v.resource, validAt: commit });
      continue;
    }
    const before = previous?.files.get(rel);
    const hasErrors = v.problems.some((p) => p.severity === 'error');
    if (before && hasErrors) {
      const since = before.invalidSince !== undefined ? before.invalidSince : commit;
      files.set(rel, { ...before, invalidSince: since });
      problems.push({
        file: rel,
        path: '',
        severity: 'error',
        message: `invalid since commit ${short(since)}; the last valid version (commit ${short(before.validAt)}) is still in use`,
      });
    }
  }

  const snap: ConfigSnapshot = { commit, runtimes: new Map(), integrations: [], problems, files };
  for (const [rel, state] of files) {
    const role = classifyPath(rel);
    const r = state.resource;
    if (role.role === 'runtime' && r.kind === 'Runtime') {
      snap.runtimes.set(role.runtime, r);
    } else if (role.role === 'control-plane' && r.kind === 'ControlPlane') {
      snap.controlPlane = r;
    } else if (role.role === 'integration' && r.kind === 'Integration') {
      snap.integrations.push({ name: role.name, placement: role.placement, file: rel, resource: r });
    }
  }
  crossRules(snap);
  return snap;
}

/** Rules that need more than one file. Warnings: the files themselves are fine. */
function crossRules(snap: ConfigSnapshot): void {
  for (const e of snap.integrations) {
    if (e.placement.scope === 'runtime' && !snap.runtimes.has(e.placement.runtime)) {
      snap.problems.push({
        file: e.file,
        path: '',
        severity: 'warning',
        message: `shared with runtime "${e.placement.runtime}", which has no runtimes/${e.placement.runtime}/runtime.yaml`,
      });
    }
  }
}

/**
 * The integration `name` as `runtime` sees it: `resources/runtimes/<runtime>/<name>.yaml` wins over
 * `resources/all-runtimes-all-clusters/<name>.yaml` (rule 8).
 */
export function resolveIntegration(
  snapshot: Pick<ConfigSnapshot, 'integrations'>,
  runtime: string,
  name: string,
): IntegrationEntry | undefined {
  let shared: IntegrationEntry | undefined;
  for (const e of snapshot.integrations) {
    if (e.name !== name) continue;
    if (e.placement.scope === 'runtime' && e.placement.runtime === runtime) return e;
    if (e.placement.scope === 'all') shared = e;
  }
  return shared;
}

/** Every integration `runtime` sees, after precedence, sorted by name. */
export function integrationsForRuntime(
  snapshot: Pick<ConfigSnapshot, 'integrations'>,
  runtime: string,
): IntegrationEntry[] {
  const names = [...new Set(snapshot.integrations.map((e) => e.name))].sort();
  return names
    .map((n) => resolveIntegration(snapshot, runtime, n))
    .filter((e): e is IntegrationEntry => e !== undefined);
}

export function emptySnapshot(commit: string | null = null): ConfigSnapshot {
  return { commit, runtimes: new Map(), integrations: [], problems: [], files: new Map() };
}

async function walk(
  root: string,
  rel: string,
  depth: number,
  out: string[],
  problems: Problem[],
): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return;
    throw err;
  }
  for (const d of entries) {
    const child = `${rel}/${d.name}`;
    if (d.isSymbolicLink()) {
      // A symlink could point outside the repository and make us read (and report) any file.
      problems.push(symlinkProblem(child));
    } else if (d.isDirectory()) {
      if (depth + 1 <= MAX_DEPTH) await walk(root, child, depth + 1, out, problems);
    } else if (d.isFile()) {
      out.push(child);
    }
  }
}

/** The first path segment of `rel` (under `root`) that is a symbolic link, or undefined. */
async function symlinkOnPath(root: string, rel: string): Promise<string | undefined> {
  let cur = '';
  for (const seg of rel.split('/')) {
    cur = cur ? `${cur}/${seg}` : seg;
    try {
      if ((await lstat(path.join(root, cur))).isSymbolicLink()) return cur;
    } catch {
      return undefined; // missing: nothing below it either
    }
  }
  return undefined;
}

function symlinkProblem(file: string): Problem {
  return {
    file,
    path: '',
    severity: 'error',
    message:
      'is a symbolic link; links in the configuration repository are never followed, so nothing in it is used (replace it with a folder or file)',
  };
}

function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : '(uncommitted)';
}
