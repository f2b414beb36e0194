import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  MAX_GROUPS_PER_BATCH,
  type ObservationBatch,
  type ObservedGroup,
  type ObservedRemoval,
} from '../../contract/deployments.js';
import {
  computeGroups,
  projectApplication,
  projectOwner,
  projectPod,
  type SlimApp,
  type SlimOwner,
  type SlimPod,
} from './attribution.js';
import { Reflector, retryPolicy, type ReflectorStats } from './reflector.js';
import { backoffMs } from '../../domain/retry.js';

/**
 * The deployment observer: informers on Pods and their owner chain (and Argo CD Applications when the CRD
 * is there), turned into idempotent batches for `POST /api/v1/runtimes/{runtime}/observations`.
 *
 * - After the first sync, after any re-list (410 Gone, periodic resync) and after a failed send, it sends
 *   the full state (in parts), so whatever was missed heals.
 * - Otherwise it sends deltas: changed groups, and groups gone for longer than `endDebounceMs` (a pod
 *   replaced by one of the same digest during a restart does not end the interval).
 */

export interface DeploymentObserverOptions {
  kubeConfig: KubeConfig;
  send: (batch: ObservationBatch) => Promise<void>;
  signal: AbortSignal;
  /** Periodic full re-list and full state. Default 10 minutes. */
  resyncMs?: number;
  /** Changes within this window go out as one batch. Default 500 ms. */
  flushMs?: number;
  /** How long a group must stay gone before its interval ends. Default 30 s. */
  endDebounceMs?: number;
  pageSize?: number;
  watchTimeoutSeconds?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  now?: () => Date;
  onError?: (err: unknown, where: string) => void;
}

export interface DeploymentObserver {
  /** Re-lists everything and sends the full state. */
  resync(): void;
  /** Resolves after a stop (signal aborted). */
  readonly stopped: Promise<void>;
  stats(): {
    observerId: string;
    batches: number;
    fullStates: number;
    sendFailures: number;
    pods: number;
    groups: number;
    reflectors: ReflectorStats[];
  };
}

const OWNER_KINDS: Array<[kind: string, path: string, optional?: boolean]> = [
  ['ReplicaSet', '/apis/apps/v1/replicasets'],
  ['Deployment', '/apis/apps/v1/deployments'],
  ['StatefulSet', '/apis/apps/v1/statefulsets'],
  ['DaemonSet', '/apis/apps/v1/daemonsets'],
  ['Job', '/apis/batch/v1/jobs'],
  ['CronJob', '/apis/batch/v1/cronjobs'],
  ['Rollout', '/apis/argoproj.io/v1alpha1/rollouts', true],
];

export function startDeploymentObserver(o: DeploymentObserverOptions): DeploymentObserver {
  return new Observer(o).start();
}

interface Pending {
  group: ObservedGroup;
  endedAt: string;
  goneAtMs: number;
}

class Observer implements DeploymentObserver {
  private readonly observerId = `obs-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  private sequence = 0;
  private readonly now: () => Date;
  private readonly pods: Reflector<SlimPod>;
  private readonly owners = new Map<string, Reflector<SlimOwner>>();
  private readonly apps: Reflector<SlimApp>;
  /** What the control plane has been told is running (open intervals). */
  private sent = new Map<string, { group: ObservedGroup; json: string }>();
  private readonly pending = new Map<string, Pending>();
  private needFull = true;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private flushing: Promise<void> = Promise.resolve();
  private counters = { batches: 0, fullStates: 0, sendFailures: 0, groups: 0 };
  private failures = 0;
  stopped: Promise<void> = Promise.resolve();

  constructor(private readonly o: DeploymentObserverOptions) {
    this.now = o.now ?? (() => new Date());
    const common = {
      kc: o.kubeConfig,
      onChange: () => this.schedule(o.flushMs ?? 500),
      onListed: () => {
        this.needFull = true;
      },
      onError: (err: unknown, path: string) => o.onError?.(err, path),
      ...(o.pageSize !== undefined ? { pageSize: o.pageSize } : {}),
      ...(o.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: o.watchTimeoutSeconds } : {}),
      ...(o.minBackoffMs !== undefined ? { minBackoffMs: o.minBackoffMs } : {}),
      ...(o.maxBackoffMs !== undefined ? { maxBackoffMs: o.maxBackoffMs } : {}),
    };
    this.pods = new Reflector({ ...common, path: '/api/v1/pods', project: projectPod });
    for (const [kind, path, optional] of OWNER_KINDS) {
      this.owners.set(
        kind,
        new Reflector({ ...common, path, project: projectOwner(kind), ...(optional ? { optional } : {}) }),
      );
    }
    this.apps = new Reflector({
      ...common,
      path: '/apis/argoproj.io/v1alpha1/applications',
      project: projectApplication,
      optional: true,
    });
  }

  start(): this {
    const { signal } = this.o;
    const all = [this.pods, ...this.owners.values(), this.apps];
    const resync = setInterval(() => this.resync(), this.o.resyncMs ?? 600_000);
    resync.unref();
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(resync);
        if (this.timer) clearTimeout(this.timer);
      },
      { once: true },
    );
    this.stopped = Promise.all(all.map((r) => r.run(signal))).then(() => this.flushing);
    return this;
  }

  resync(): void {
    for (const r of [this.pods, ...this.owners.values(), this.apps]) r.relist();
  }

  stats() {
    return {
      observerId: this.observerId,
      ...this.counters,
      pods: this.pods.items.size,
      reflectors: [this.pods, ...this.owners.values(), this.apps].map((r) => ({ ...r.stats })),
    };
  }

  /** Flushes in `ms`, or sooner if a flush is already due sooner. */
  private schedule(ms: number): void {
    if (this.o.signal.aborted) return;
    const due = Date.now() + ms;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, ms);
  }

  private synced(): boolean {
    return [this.pods, ...this.owners.values(), this.apps].every((r) => r.synced);
  }

  private groups() {
    const owners = {
      get: (kind: string, ns: string, name: string) => this.owners.get(kind)?.items.get(`${ns}/${name}`),
    };
    const appsByInstance = new Map<string, SlimApp>();
    for (const a of this.apps.items.values()) {
      appsByInstance.set(a.name, a);
      appsByInstance.set(`${a.namespace}_${a.name}`, a);
    }
    return computeGroups(this.pods.items.values(), owners, (i) => appsByInstance.get(i)?.facts);
  }

  private async flush(): Promise<void> {
    if (this.o.signal.aborted || !this.synced()) return;
    const current = this.groups();
    this.counters.groups = current.size;
    const nowMs = this.now().getTime();
    const at = this.now().toISOString();
    try {
      const removals = this.expire(current, nowMs, at);
      if (this.needFull) {
        if (removals.length > 0) await this.sendDelta([], removals, at);
        await this.sendFull(current, at);
      } else {
        const upserts = [...current.entries()]
          .filter(([k, g]) => this.sent.get(k)?.json !== JSON.stringify(g))
          .map(([, g]) => g);
        if (upserts.length > 0 || removals.length > 0) await this.sendDelta(upserts, removals, at);
        for (const [k, g] of current) this.sent.set(k, { group: g, json: JSON.stringify(g) });
      }
      for (const r of removals) this.sent.delete(JSON.stringify(keyTuple(r)));
      this.failures = 0;
    } catch (err) {
      // Whatever reached the control plane or not, the next attempt sends the whole state.
      this.counters.sendFailures++;
      this.needFull = true;
      this.o.onError?.(err, 'send');
      this.schedule(backoffMs(retryPolicy(this.o), this.failures++));
      return;
    }
    const next = Math.min(...[...this.pending.values()].map((p) => p.goneAtMs + this.debounce() - nowMs));
    if (Number.isFinite(next)) this.schedule(Math.max(next, 1));
  }

  private debounce(): number {
    return this.o.endDebounceMs ?? 30_000;
  }

  /** Marks groups that went away; returns those gone longer than the debounce, as removals. */
  private expire(current: Map<string, ObservedGroup>, nowMs: number, at: string): ObservedRemoval[] {
    for (const k of current.keys()) this.pending.delete(k);
    for (const [k, s] of this.sent) {
      if (!current.has(k) && !this.pending.has(k))
        this.pending.set(k, { group: s.group, endedAt: at, goneAtMs: nowMs });
    }
    const removals: ObservedRemoval[] = [];
    for (const [k, p] of this.pending) {
      if (nowMs - p.goneAtMs < this.debounce()) continue;
      this.pending.delete(k);
      removals.push({ ...keyOf(p.group), endedAt: p.endedAt });
    }
    return removals;
  }

  private async sendDelta(upserts: ObservedGroup[], removals: ObservedRemoval[], at: string): Promise<void> {
    for (let i = 0; i < Math.max(upserts.length, removals.length); i += MAX_GROUPS_PER_BATCH) {
      await this.send({
        kind: 'delta',
        upserts: upserts.slice(i, i + MAX_GROUPS_PER_BATCH),
        removals: removals.slice(i, i + MAX_GROUPS_PER_BATCH),
        observedAt: at,
      });
    }
  }

  /** The whole state, in parts sharing `observedAt`; groups still within the end debounce count as running. */
  private async sendFull(current: Map<string, ObservedGroup>, at: string): Promise<void> {
    const state = new Map(current);
    for (const [k, p] of this.pending) if (!state.has(k)) state.set(k, p.group);
    const all = [...state.values()];
    for (let i = 0; i === 0 || i < all.length; i += MAX_GROUPS_PER_BATCH) {
      const last = i + MAX_GROUPS_PER_BATCH >= all.length;
      await this.send({
        kind: 'full',
        last,
        upserts: all.slice(i, i + MAX_GROUPS_PER_BATCH),
        observedAt: at,
      });
    }
    this.counters.fullStates++;
    this.needFull = false;
    this.sent = new Map([...state].map(([k, g]) => [k, { group: g, json: JSON.stringify(g) }]));
  }

  private async send(b: Omit<ObservationBatch, 'observerId' | 'sequence'>): Promise<void> {
    this.sequence++;
    await this.o.send({ observerId: this.observerId, sequence: this.sequence, ...b });
    this.counters.batches++;
  }
}

function keyOf(g: ObservedGroup) {
  const { namespace, workloadKind, workloadName, application, registry, repository, digest } = g;
  return { namespace, workloadKind, workloadName, application, registry, repository, digest };
}

function keyTuple(k: ReturnType<typeof keyOf>): unknown[] {
  return [k.namespace, k.workloadKind, k.workloadName, k.application, k.registry, k.repository, k.digest];
}
