import * as z from 'zod';

/**
 * What the observer reads of Kubernetes objects: only the fields it uses, permissive about the rest
 * (Kubernetes API reference, "Pod v1 core", "ObjectMeta", "OwnerReference"; Argo CD `Application` CRD).
 */

const Labels = z.record(z.string(), z.string());

export const OwnerReference = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  controller: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReference>;

export const ObjectMeta = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  labels: Labels.nullish(),
  annotations: Labels.nullish(),
  ownerReferences: z.array(OwnerReference).nullish(),
});

export const ContainerStatus = z.object({
  name: z.string(),
  image: z.string().optional(),
  /** The image the runtime resolved, `repo@sha256:…` (possibly `docker-pullable://…`): not the spec's tag. */
  imageID: z.string().optional(),
  state: z.object({ running: z.object({ startedAt: z.string().nullish() }).nullish() }).nullish(),
});
export type ContainerStatus = z.infer<typeof ContainerStatus>;

export const Pod = z.object({
  metadata: ObjectMeta,
  status: z
    .object({
      phase: z.string().optional(),
      containerStatuses: z.array(ContainerStatus).nullish(),
      initContainerStatuses: z.array(ContainerStatus).nullish(),
    })
    .nullish(),
});
export type Pod = z.infer<typeof Pod>;

/** ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob, Rollout: only their metadata matters. */
export const Workload = z.object({ metadata: ObjectMeta });

export const Application = z.object({
  metadata: ObjectMeta,
  spec: z
    .object({
      project: z.string().optional(),
      destination: z
        .object({
          server: z.string().optional(),
          name: z.string().optional(),
          namespace: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  status: z
    .object({
      sync: z.object({ status: z.string().optional(), revision: z.string().optional() }).optional(),
      health: z.object({ status: z.string().optional() }).optional(),
    })
    .optional(),
});
export type Application = z.infer<typeof Application>;

export const ObjectList = z.object({
  metadata: z.object({ resourceVersion: z.string().optional(), continue: z.string().optional() }),
  items: z.array(z.unknown()),
});

/** A `Status` object, as in an `ERROR` watch event or a failed request body. */
export const Status = z.object({
  kind: z.literal('Status'),
  code: z.number().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
