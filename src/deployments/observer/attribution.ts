import type { ApplicationFacts, ObservedGroup } from '../../contract/deployments.js';
import { parseReference } from '../../integrations/registry/oci/reference.js';
import { Application, Pod, Workload, type ContainerStatus, type OwnerReference } from './schema.js';

/**
 * From Kubernetes objects to groups: which digest runs where. Each running container's resolved digest
 * (`imageID`, not the spec's tag) is attributed to the pod's top-level owner (Pod → ReplicaSet →
 * Deployment or Rollout; Pod → Job → CronJob; StatefulSet, DaemonSet) and to the Argo CD application named
 * by that owner's tracking annotation (`argocd.argoproj.io/tracking-id`) or instance label.
 */

export const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

export interface RunningContainer {
  name: string;
  image?: string;
  registry: string;
  repository: string;
  digest: string;
  startedAt: string;
}

export interface SlimPod {
  namespace: string;
  name: string;
  owner?: { kind: string; name: string };
  containers: RunningContainer[];
}

export interface SlimOwner {
  kind: string;
  namespace: string;
  name: string;
  owner?: { kind: string; name: string };
  trackingId?: string;
  instance?: string;
}

export interface SlimApp {
  name: string;
  namespace: string;
  facts: ApplicationFacts;
}

const controllerOf = (refs: readonly OwnerReference[] | null | undefined) => {
  const ref = refs?.find((r) => r.controller) ?? refs?.[0];
  return ref ? { kind: ref.kind, name: ref.name } : undefined;
};

/** `repo@sha256:…` from an imageID, with the runtime's scheme prefix (`docker-pullable://`) removed. */
export function digestOf(c: ContainerStatus): Omit<RunningContainer, 'name' | 'startedAt'> | null {
  for (const candidate of [c.imageID, c.image]) {
    if (!candidate) continue;
    const id = candidate.replace(/^[a-z-]+:\/\//, '');
    if (!id.includes('@')) continue;
    try {
      const ref = parseReference(id);
      if (ref.digest?.startsWith('sha256:'))
        return {
          registry: ref.registry,
          repository: ref.repository,
          digest: ref.digest,
          ...(c.image ? { image: c.image } : {}),
        };
    } catch {
      // not a reference: an image ID without a repository (a config digest), try the next candidate
    }
  }
  return null;
}

export function projectPod(raw: unknown): { key: string; value: SlimPod | null } | null {
  const r = Pod.safeParse(raw);
  if (!r.success) return null;
  const { metadata: m, status } = r.data;
  const namespace = m.namespace ?? 'default';
  const key = `${namespace}/${m.name}`;
  const containers: RunningContainer[] = [];
  for (const c of [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]) {
    const startedAt = c.state?.running?.startedAt;
    if (!startedAt) continue; // only what runs now
    const d = digestOf(c);
    if (d) containers.push({ name: c.name, startedAt: new Date(startedAt).toISOString(), ...d });
  }
  if (containers.length === 0) return { key, value: null };
  const owner = controllerOf(m.ownerReferences);
  return { key, value: { namespace, name: m.name, containers, ...(owner ? { owner } : {}) } };
}

export function projectOwner(kind: string) {
  return (raw: unknown): { key: string; value: SlimOwner | null } | null => {
    const r = Workload.safeParse(raw);
    if (!r.success) return null;
    const m = r.data.metadata;
    const namespace = m.namespace ?? 'default';
    const owner = controllerOf(m.ownerReferences);
    const trackingId = m.annotations?.[TRACKING_ANNOTATION];
    const instance = m.labels?.[INSTANCE_LABEL];
    return {
      key: `${namespace}/${m.name}`,
      value: {
        kind,
        namespace,
        name: m.name,
        ...(owner ? { owner } : {}),
        ...(trackingId ? { trackingId } : {}),
        ...(instance ? { instance } : {}),
      },
    };
  };
}

export function projectApplication(raw: unknown): { key: string; value: SlimApp | null } | null {
  const r = Application.safeParse(raw);
  if (!r.success) return null;
  const { metadata: m, spec, status } = r.data;
  const namespace = m.namespace ?? 'argocd';
  const facts: ApplicationFacts = JSON.parse(
    JSON.stringify({
      project: spec?.project,
      destination: spec?.destination,
      syncRevision: status?.sync?.revision,
      syncStatus: status?.sync?.status,
      health: status?.health?.status,
    }),
  ) as ApplicationFacts;
  return { key: `${namespace}/${m.name}`, value: { name: m.name, namespace, facts } };
}

/**
 * The application of a top-level object: the tracking annotation when it names this very object (Argo CD
 * ignores one copied onto another object), else the instance label.
 */
export function applicationOf(
  top: Pick<SlimOwner, 'kind' | 'namespace' | 'name' | 'trackingId' | 'instance'>,
) {
  const m = top.trackingId ? /^([^:]+):([^/:]*)\/([^:]+):([^/]*)\/(.+)$/.exec(top.trackingId) : null;
  if (m && m[3] === top.kind && m[5] === top.name && (m[4] === '' || m[4] === top.namespace))
    return m[1] ?? '';
  return top.instance ?? '';
}

export interface OwnerIndex {
  get(kind: string, namespace: string, name: string): SlimOwner | undefined;
}

/** Walks controller references up to the top-level owner (bounded: a cycle cannot loop). */
export function topOwner(pod: SlimPod, owners: OwnerIndex): SlimOwner {
  let node: SlimOwner = { kind: 'Pod', namespace: pod.namespace, name: pod.name };
  let ref = pod.owner;
  for (let depth = 0; ref && depth < 8; depth++) {
    const o = owners.get(ref.kind, pod.namespace, ref.name);
    // An owner not (yet) in the cache is still the best name we have for the workload.
    if (!o) return { kind: ref.kind, namespace: pod.namespace, name: ref.name };
    node = o;
    ref = o.owner;
  }
  return node;
}

export type GroupMap = Map<string, ObservedGroup>;

export function groupKey(
  g: Pick<
    ObservedGroup,
    'namespace' | 'workloadKind' | 'workloadName' | 'application' | 'registry' | 'repository' | 'digest'
  >,
): string {
  return JSON.stringify([
    g.namespace,
    g.workloadKind,
    g.workloadName,
    g.application,
    g.registry,
    g.repository,
    g.digest,
  ]);
}

/** Every (workload, application, digest) running now, with its replica count and earliest start. */
export function computeGroups(
  pods: Iterable<SlimPod>,
  owners: OwnerIndex,
  appFacts: (instance: string) => ApplicationFacts | undefined,
): GroupMap {
  const groups: GroupMap = new Map();
  for (const pod of pods) {
    const top = topOwner(pod, owners);
    const application = applicationOf(top);
    const counted = new Set<string>();
    for (const c of pod.containers) {
      const base = {
        namespace: pod.namespace,
        workloadKind: top.kind,
        workloadName: top.name,
        application,
        registry: c.registry,
        repository: c.repository,
        digest: c.digest,
      };
      const key = groupKey(base);
      let g = groups.get(key);
      if (!g) {
        const facts = application ? appFacts(application) : undefined;
        g = {
          ...base,
          replicas: 0,
          firstStartedAt: c.startedAt,
          containers: [],
          ...(c.image ? { image: c.image } : {}),
          ...(facts ? { app: facts } : {}),
        };
        groups.set(key, g);
      }
      if (!counted.has(key)) {
        counted.add(key);
        g.replicas++;
      }
      if (c.startedAt < g.firstStartedAt) g.firstStartedAt = c.startedAt;
      if (g.containers && !g.containers.includes(c.name)) g.containers.push(c.name);
    }
  }
  for (const g of groups.values()) g.containers?.sort();
  return groups;
}
