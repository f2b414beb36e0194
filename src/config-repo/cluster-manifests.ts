import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import type { Logger } from '../logging/logger.js';
import {
  IN_CLUSTER_SYNC_OPTIONS,
  REPO_URL_NOTE_ANNOTATION,
  renderApplication,
  type InClusterApplication,
} from './argo.js';
import { CRDS_DIR, crdFiles } from './crds/crds.js';
import { runtimeInClusterPath } from './layout.js';
import type { ConfigRepo, ConfigTx } from './workspace.js';

export const CLUSTER_MANIFESTS_MESSAGE = 'config: install or update the CRDs and Argo CD Applications';

/** The include glob imagetrail wrote before the CRD folder existed, per runtime; upgraded in place. */
function legacyInclude(runtime: string): string {
  return `{all-runtimes-all-clusters/*.yaml,all-runtimes-all-clusters/**/*.yaml,runtimes/${runtime}/*.yaml,runtimes/${runtime}/**/*.yaml,control-planes/*.yaml,control-planes/**/*.yaml}`;
}

/** What writing the manifests needs from a transaction; a read-only probe implements it too. */
export type ManifestWriter = Pick<ConfigTx, 'read' | 'write'>;

/**
 * Brings what Argo CD needs up to date in `tx`; returns the files it changed:
 * - `resources/crds/<plural>.imagetrail.dev.yaml` for every kind, as this version generates them;
 * - each runtime's `in-cluster.yaml`: created when missing, and upgraded where it still holds what an
 *   older imagetrail wrote (HEAD revision, the include glob without `crds/`, missing sync options).
 *   Fields someone changed by hand, such as a repoURL pointed at the real Git server, are kept.
 */
export async function writeClusterManifests(
  tx: ManifestWriter,
  repo: Pick<ConfigRepo, 'inClusterApplication'>,
  runtimes: Iterable<string>,
): Promise<string[]> {
  const changed: string[] = [];
  for (const f of crdFiles()) {
    const rel = `${CRDS_DIR}/${f.file}`;
    if ((await tx.read(rel)) !== f.text) {
      await tx.write(rel, f.text);
      changed.push(rel);
    }
  }
  for (const runtime of [...new Set(runtimes)].sort()) {
    if (await upgradeInCluster(tx, repo.inClusterApplication(runtime))) {
      changed.push(runtimeInClusterPath(runtime));
    }
  }
  return changed;
}

/**
 * The same as one commit (none when all is current). The check runs first on the files as they are, so a
 * start with nothing to do costs no fetch, commit or push.
 */
export async function ensureClusterManifests(
  repo: ConfigRepo,
  logger?: Pick<Logger, 'info'>,
): Promise<string | null> {
  const runtimes = () => repo.snapshot().runtimes.keys();
  const probe: ManifestWriter = {
    read: (rel) => readFile(path.join(repo.root, rel), 'utf8').catch(() => undefined),
    write: () => Promise.resolve(),
  };
  if ((await writeClusterManifests(probe, repo, runtimes())).length === 0) return null;
  const { commit, result } = await repo.mutate(CLUSTER_MANIFESTS_MESSAGE, (tx) =>
    writeClusterManifests(tx, repo, runtimes()),
  );
  if (commit) logger?.info({ commit, files: result }, 'config repo: CRDs and Argo CD Applications updated');
  return commit;
}

async function upgradeInCluster(tx: ManifestWriter, desired: InClusterApplication): Promise<boolean> {
  const runtime = desired.metadata.labels['imagetrail.dev/runtime']!;
  const rel = runtimeInClusterPath(runtime);
  const text = await tx.read(rel);
  if (text === undefined) {
    await tx.write(rel, renderApplication(desired));
    return true;
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return false; // the validator reports it
  const edited = upgradeDocument(doc, desired, runtime);
  if (!edited) return false;
  await tx.write(rel, doc.toString({ lineWidth: 0 }));
  return true;
}

/** Edits the parsed Application in place (comments kept); returns whether anything changed. */
export function upgradeDocument(doc: Document, desired: InClusterApplication, runtime: string): boolean {
  let edited = false;
  const set = (path: string[], value: unknown) => {
    doc.setIn(path, value);
    edited = true;
  };
  const source = desired.spec.source;
  const revision = doc.getIn(['spec', 'source', 'targetRevision']);
  if (revision === undefined || revision === 'HEAD')
    set(['spec', 'source', 'targetRevision'], source.targetRevision);
  if (doc.getIn(['spec', 'source', 'directory', 'include']) === legacyInclude(runtime)) {
    set(['spec', 'source', 'directory', 'include'], source.directory.include);
  }
  const options = doc.getIn(['spec', 'syncPolicy', 'syncOptions']);
  const present = isSeq(options)
    ? options.items.map((i) => String((i as { value?: unknown }).value ?? i))
    : [];
  for (const option of IN_CLUSTER_SYNC_OPTIONS) {
    const key = option.split('=')[0]!;
    // Someone who set the option either way chose it; only a missing option is added.
    if (present.some((p) => p.split('=')[0]?.trim() === key)) continue;
    if (isSeq(options)) options.add(doc.createNode(option));
    else set(['spec', 'syncPolicy', 'syncOptions'], [...IN_CLUSTER_SYNC_OPTIONS]);
    edited = true;
    if (!isSeq(options)) break;
  }
  const note = desired.metadata.annotations?.[REPO_URL_NOTE_ANNOTATION];
  const repoURL = doc.getIn(['spec', 'source', 'repoURL']);
  if (
    note &&
    repoURL === source.repoURL &&
    !doc.hasIn(['metadata', 'annotations', REPO_URL_NOTE_ANNOTATION])
  ) {
    set(['metadata', 'annotations', REPO_URL_NOTE_ANNOTATION], note);
  }
  return edited;
}
