import {
  ApplicationFacts,
  MAX_GROUPS_PER_BATCH,
  MAX_OBSERVATION_BATCH_BYTES,
  ObservedGroup,
} from '../../contract/deployments.js';

/**
 * What the observer may send, shaped to the contract before it goes: a group the control plane would refuse
 * (a name past Kubernetes' limits, a pod with hundreds of containers, Application fields of any length — a
 * broken or hostile API server can serve them) must not make the whole batch a 400 the observer can only
 * retry forever. Display fields are trimmed; a group whose key does not fit is left out (and counted).
 */
export function fitGroup(g: ObservedGroup): ObservedGroup | null {
  const out: ObservedGroup = { ...g };
  if (out.image !== undefined && out.image.length > 1024) delete out.image;
  if (out.containers) out.containers = out.containers.filter((n) => n.length <= 253).slice(0, 100);
  if (out.app && !ApplicationFacts.safeParse(out.app).success) delete out.app;
  if (out.replicas > 1_000_000) out.replicas = 1_000_000;
  const r = ObservedGroup.safeParse(out);
  return r.success ? r.data : null;
}

/**
 * Items split into parts of at most MAX_GROUPS_PER_BATCH items and MAX_OBSERVATION_BATCH_BYTES of JSON (a
 * few KiB kept for the batch's own fields), so that no part meets the API's body limit. Always one part,
 * possibly empty.
 */
export function splitParts<T>(items: readonly T[], maxBytes = MAX_OBSERVATION_BATCH_BYTES): T[][] {
  const budget = maxBytes - 4096;
  const parts: T[][] = [[]];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item)) + 1;
    const part = parts.at(-1) ?? [];
    if (part.length > 0 && (part.length >= MAX_GROUPS_PER_BATCH || bytes + size > budget)) {
      parts.push([item]);
      bytes = size;
    } else {
      part.push(item);
      bytes += size;
    }
  }
  return parts;
}
