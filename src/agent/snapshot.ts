import { SnapshotResponse } from '../contract/agent-protocol.js';
import { InputError } from '../domain/errors.js';
import { classifyPath } from '../config-repo/layout.js';
import { emptySnapshot, type ConfigSnapshot } from '../config-repo/snapshot.js';
import { validateFile } from '../config-repo/validate.js';
import type { AgentTransport } from './transport.js';

/**
 * The agent's view of the shared configuration: only what its runtime may see, fetched from the control
 * plane, sealed as in Git, and validated here with the same kinds as the control plane's (a resource that
 * does not validate is not used). Refetched when a claim names a newer commit.
 */
export class AgentSnapshot {
  #current: ConfigSnapshot = emptySnapshot();
  #fetched = false;

  constructor(
    private readonly transport: AgentTransport,
    private readonly runtime: string,
  ) {}

  snapshot(): ConfigSnapshot {
    return this.#current;
  }

  async ensure(commit: string | null): Promise<void> {
    if (this.#fetched && commit !== null && commit === this.#current.commit) return;
    const res = await this.transport.call(
      SnapshotResponse,
      'GET',
      `/api/v1/agent/snapshot?runtime=${encodeURIComponent(this.runtime)}`,
    );
    this.#current = toSnapshot(res);
    this.#fetched = true;
  }
}

export function toSnapshot(res: SnapshotResponse): ConfigSnapshot {
  const snap = emptySnapshot(res.commit);
  for (const item of [res.runtime, ...res.integrations]) {
    // JSON is YAML: the control plane's parsed resource goes through the same validation as a Git file.
    const v = validateFile(item.file, JSON.stringify(item.resource));
    snap.problems.push(...v.problems);
    if (!v.resource) continue;
    const role = classifyPath(item.file);
    if (role.role === 'runtime' && v.resource.kind === 'Runtime') snap.runtimes.set(role.runtime, v.resource);
    else if (role.role === 'integration' && v.resource.kind === 'Integration')
      snap.integrations.push({
        name: role.name,
        placement: role.placement,
        file: item.file,
        resource: v.resource,
      });
    else throw new InputError(`The control plane sent ${item.file}, which is not a runtime or integration.`);
  }
  return snap;
}
