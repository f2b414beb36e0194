import { stringify } from 'yaml';
import * as z from 'zod';
import { ResourceName } from '../domain/names.js';
import type { ConfigRepoLocation } from './location.js';

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
export const ENTITY_LABEL = 'imagetrail.dev/entity';
export const RUNTIME_LABEL = 'imagetrail.dev/runtime';
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
}

/** The Application imagetrail writes; a concrete type so tests and callers can read fields back. */
export interface InClusterApplication {
  apiVersion: typeof ARGO_API_VERSION;
  kind: 'Application';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    project: string;
    source: {
      repoURL: string;
      targetRevision: string;
      path: string;
      directory: { recurse: true; include: string };
    };
    destination: { server: string; namespace: string };
    syncPolicy: { automated: { prune: true; selfHeal: true; allowEmpty: true } };
  };
}

/** Argo CD `include` glob selecting the folders a runtime's in-cluster sync applies. */
export function includeGlob(runtime: string): string {
  const r = ResourceName.parse(runtime);
  return `{all-runtimes-all-clusters/*.yaml,all-runtimes-all-clusters/**/*.yaml,runtimes/${r}/*.yaml,runtimes/${r}/**/*.yaml,control-planes/*.yaml,control-planes/**/*.yaml}`;
}

/** Builds `runtimes/<runtime>/in-cluster.yaml`: the Argo CD Application syncing the runtime's folders. */
export function buildInClusterApplication(input: InClusterApplicationInput): InClusterApplication {
  const runtime = ResourceName.parse(input.runtime);
  const loc = input.location;
  const repoURL = loc.kind === 'remote' ? loc.url : loc.path;
  const targetRevision = loc.kind === 'remote' && loc.ref ? loc.ref : 'HEAD';
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
      syncPolicy: { automated: { prune: true, selfHeal: true, allowEmpty: true } },
    },
  };
}

export function renderInClusterApplication(input: InClusterApplicationInput): string {
  return stringify(buildInClusterApplication(input), { lineWidth: 0 });
}
