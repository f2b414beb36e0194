import { stringify } from 'yaml';
import * as z from 'zod';
import { ResourceName } from '../domain/names.js';
import type { ConfigRepoLocation } from './location.js';

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
const ENTITY_LABEL = 'imagetrail.dev/entity';
const RUNTIME_LABEL = 'imagetrail.dev/runtime';
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/**
 * What imagetrail needs to recognise an Argo CD Application in the repo. Loose on purpose: Argo CD owns
 * the format, users may add fields (sources, ignoreDifferences, …) and we must not reject them.
 */
export const ArgoApplication = z
  .object({
    apiVersion: z.literal(ARGO_API_VERSION),
    kind: z.literal('Application'),
    metadata: z.object({ name: z.string().min(1) }).passthrough(),
    spec: z
      .object({
        source: z
          .object({ repoURL: z.string().min(1), path: z.string().optional() })
          .passthrough()
          .optional(),
        sources: z.array(z.object({ repoURL: z.string().min(1) }).passthrough()).optional(),
        destination: z.object({ server: z.string().optional(), name: z.string().optional() }).passthrough(),
      })
      .passthrough()
      .refine((s) => s.source !== undefined || s.sources !== undefined, {
        message: 'must have spec.source or spec.sources',
      }),
  })
  .passthrough();
export type ArgoApplication = z.infer<typeof ArgoApplication>;

export interface InClusterApplicationInput {
  runtime: string;
  location: ConfigRepoLocation;
  /** The branch imagetrail commits to (and pushes); never `HEAD`, which a remote may not advertise. */
  branch: string;
}

/** On an Application whose `repoURL` is a path on imagetrail's host: what to change, in plain words. */
export const REPO_URL_NOTE_ANNOTATION = 'imagetrail.dev/repo-url-note';
export const HOST_PATH_NOTE =
  "spec.source.repoURL is a path on imagetrail's host, which Argo CD cannot reach: set it to this repository's Git URL (push the repository to a Git server Argo CD can clone)";

/** The Application's sync options: the runtime's namespace may not exist; CRDs come in the same sync. */
export const IN_CLUSTER_SYNC_OPTIONS = ['CreateNamespace=true', 'SkipDryRunOnMissingResource=true'] as const;

/** The Application imagetrail writes; a concrete type so tests and callers can read fields back. */
export interface InClusterApplication {
  apiVersion: typeof ARGO_API_VERSION;
  kind: 'Application';
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    project: string;
    source: {
      repoURL: string;
      targetRevision: string;
      path: string;
      directory: { recurse: true; include: string };
    };
    destination: { server: string; namespace: string };
    syncPolicy: {
      automated: { prune: true; selfHeal: true; allowEmpty: true };
      syncOptions: string[];
    };
  };
}

/**
 * Whether a repository address only works on imagetrail's own host: a local working repository, or a
 * bare repository given as a path or file:// URL. Argo CD's repo-server runs elsewhere.
 */
export function isHostPathLocation(loc: ConfigRepoLocation): boolean {
  return loc.kind === 'local' || loc.url.startsWith('/') || /^file:\/\//i.test(loc.url);
}

/** Argo CD `include` glob selecting the folders a runtime's in-cluster sync applies. */
export function includeGlob(runtime: string): string {
  const r = ResourceName.parse(runtime);
  return `{crds/*.yaml,all-runtimes-all-clusters/*.yaml,all-runtimes-all-clusters/**/*.yaml,runtimes/${r}/*.yaml,runtimes/${r}/**/*.yaml,control-planes/*.yaml,control-planes/**/*.yaml}`;
}

/** Builds `runtimes/<runtime>/in-cluster.yaml`: the Argo CD Application syncing the runtime's folders. */
export function buildInClusterApplication(input: InClusterApplicationInput): InClusterApplication {
  const runtime = ResourceName.parse(input.runtime);
  const loc = input.location;
  const repoURL = loc.kind === 'remote' ? loc.url : loc.path;
  const targetRevision = input.branch;
  const hostPath = isHostPathLocation(loc);
  const subPath = loc.kind === 'remote' && loc.subPath ? loc.subPath : '';
  return {
    apiVersion: ARGO_API_VERSION,
    kind: 'Application',
    metadata: {
      // Codefresh names every one of these `in-cluster` because each runtime there has its own Argo CD.
      // Several imagetrail runtimes may share one Argo CD namespace, where equal names would overwrite
      // each other, so the runtime name is part of it.
      name: `${runtime}-in-cluster`,
      labels: { [ENTITY_LABEL]: 'internal-config', [RUNTIME_LABEL]: runtime },
      ...(hostPath ? { annotations: { [REPO_URL_NOTE_ANNOTATION]: HOST_PATH_NOTE } } : {}),
    },
    spec: {
      project: 'default',
      source: {
        repoURL,
        targetRevision,
        path: subPath ? `${subPath}/resources` : 'resources',
        directory: { recurse: true, include: includeGlob(runtime) },
      },
      destination: { server: IN_CLUSTER_SERVER, namespace: runtime },
      syncPolicy: {
        automated: { prune: true, selfHeal: true, allowEmpty: true },
        syncOptions: [...IN_CLUSTER_SYNC_OPTIONS],
      },
    },
  };
}

export function renderInClusterApplication(input: InClusterApplicationInput): string {
  return renderApplication(buildInClusterApplication(input));
}

/** YAML for `in-cluster.yaml`; a host-path repoURL also gets a comment at the top, where people look. */
export function renderApplication(app: InClusterApplication): string {
  const note = app.metadata.annotations?.[REPO_URL_NOTE_ANNOTATION];
  const head = note ? `# NOTE: ${note}.\n` : '';
  return head + stringify(app, { lineWidth: 0 });
}

/**
 * What would stop Argo CD from syncing an Application that is otherwise valid; shown by `config status`
 * as warnings, because imagetrail itself works either way.
 */
export function applicationWarnings(app: ArgoApplication): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const sources = app.spec.source ? [app.spec.source] : (app.spec.sources ?? []);
  sources.forEach((s, i) => {
    const at = app.spec.source ? 'spec.source' : `spec.sources.${i}`;
    if (s.repoURL.startsWith('/') || /^file:\/\//i.test(s.repoURL)) {
      out.push({ path: `${at}.repoURL`, message: HOST_PATH_NOTE });
    }
    const revision = (s as { targetRevision?: unknown }).targetRevision;
    if (revision === undefined || revision === 'HEAD') {
      out.push({
        path: `${at}.targetRevision`,
        message:
          "HEAD follows the remote's default branch, which may not be the branch imagetrail pushes (an empty bare remote's HEAD is master): name the branch",
      });
    }
  });
  return out;
}
