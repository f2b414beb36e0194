import { randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  OBSERVER_LEASE_MS,
  type ObservationBatch,
  type ObservationResult,
  type ObservedGroup,
  type ObservedRemoval,
} from '../../contract/deployments.js';
import { fitGroup, splitParts } from './batches.js';
import type { ReadBounds } from './kube.js';
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
 * - Replicas of one runtime's agent watch the same cluster; one reports at a time (the runtime's
 *   observation lease, `OBSERVER_LEASE_MS`). Answered `standby`, an observer keeps its informers warm and
 *   asks again every `heartbeatMs` with an empty delta; once it holds the lease it sends a full state. The
 *   holder sends an empty delta when it has been quiet for `heartbeatMs`, and releases the lease on stop.
 */

export interface DeploymentObserverOptions {
  kubeConfig: KubeConfig;
  /** Posts a batch; throws on a failure; answers the control plane's result (`standby`: not applied). */
  send: (batch: ObservationBatch) => Promise<ObservationResult | void>;
  signal: AbortSignal;
  /** Periodic full re-list and full state. Default 10 minutes. */
  resyncMs?: number;
  /** Changes within this window go out as one batch. Default 500 ms. */
  flushMs?: number;
  /** How long a group must stay gone before its interval ends. Default 30 s. */
  endDebounceMs?: number;
  /** Quiet this long, the holder sends an empty delta; a standby observer asks this often. Default lease/3. */
  heartbeatMs?: number;
  pageSize?: number;
  watchTimeoutSeconds?: number;
  /** Objects one informer may cache (default 200,000) and what one answer may cost: a hostile API server. */
  maxObjects?: number;
  bounds?: ReadBounds;
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
    /** Groups left out because they do not fit the contract. */
    unfit: number;
    standby: boolean;
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

/** The control plane answered `standby`: another observer of the runtime holds the lease. */
class Standby extends Error {}

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
  private counters = { batches: 0, fullStates: 0, sendFailures: 0, groups: 0, unfit: 0 };
  private failures = 0;
  private standby = false;
  private lastSentMs = 0;
  private lastProbeMs = 0;
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
      ...(o.maxObjects !== undefined ? { maxObjects: o.maxObjects } : {}),
      ...(o.bounds !== undefined ? { bounds: o.bounds } : {}),
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
    this.stopped = Promise.all(all.map((r) => r.run(signal)))
      .then(() => this.flushing)
      .then(() => this.release());
    return this;
  }

  resync(): void {
    for (const r of [this.pods, ...this.owners.values(), this.apps]) r.relist();
  }

  stats() {
    return {
      observerId: this.observerId,
      ...this.counters,
      standby: this.standby,
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
    const fitted = new Map<string, ObservedGroup>();
    let unfit = 0;
    const all = computeGroups(this.pods.items.values(), owners, (i) => appsByInstance.get(i)?.facts);
    for (const [k, g] of all) {
      const f = fitGroup(g);
      if (f) fitted.set(k, f);
      else unfit++;
    }
    if (unfit > this.counters.unfit)
      this.o.onError?.(new Error(`${unfit} running groups have names the control plane refuses`), 'groups');
    this.counters.unfit = unfit;
    return fitted;
  }

  private async flush(): Promise<void> {
    if (this.o.signal.aborted || !this.synced()) return;
    const current = this.groups();
    this.counters.groups = current.size;
    const nowMs = this.now().getTime();
    const at = this.now().toISOString();
    if (this.standby && Date.now() - this.lastProbeMs < this.heartbeat()) {
      // Standing by: changes do not make it ask sooner than every heartbeat.
      this.schedule(this.lastProbeMs + this.heartbeat() - Date.now());
      return;
    }
    try {
      if (this.standby) {
        this.lastProbeMs = Date.now();
        await this.send({ kind: 'delta', upserts: [], removals: [], observedAt: at });
      }
      this.standby = false;
      const removals = this.expire(current, nowMs, at);
      if (this.needFull) {
        if (removals.length > 0) await this.sendDelta([], removals, at);
        await this.sendFull(current, at);
      } else {
        const upserts = [...current.entries()]
          .filter(([k, g]) => this.sent.get(k)?.json !== JSON.stringify(g))
          .map(([, g]) => g);
        if (upserts.length > 0 || removals.length > 0) await this.sendDelta(upserts, removals, at);
        else if (Date.now() - this.lastSentMs >= this.heartbeat()) await this.sendDelta([], [], at);
        for (const [k, g] of current) this.sent.set(k, { group: g, json: JSON.stringify(g) });
      }
      for (const r of removals) this.sent.delete(JSON.stringify(keyTuple(r)));
      this.failures = 0;
    } catch (err) {
      // Whatever reached the control plane or not, the next attempt sends the whole state.
      this.needFull = true;
      if (err instanceof Standby) {
        if (!this.standby) this.o.onError?.(err, 'standby');
        // It holds nothing now: what it sent is the holder's to end; its next full state starts afresh.
        this.standby = true;
        this.lastProbeMs = Date.now();
        this.sent.clear();
        this.pending.clear();
        this.schedule(this.heartbeat());
        return;
      }
      this.counters.sendFailures++;
      this.o.onError?.(err, 'send');
      this.schedule(backoffMs(retryPolicy(this.o), this.failures++));
      return;
    }
    const next = Math.min(...[...this.pending.values()].map((p) => p.goneAtMs + this.debounce() - nowMs));
    this.schedule(Math.max(Number.isFinite(next) ? Math.min(next, this.heartbeat()) : this.heartbeat(), 1));
  }

  private heartbeat(): number {
    return this.o.heartbeatMs ?? OBSERVER_LEASE_MS / 3;
  }

  /** On stop, the holder lets another observer of the runtime take over at once (best effort). */
  private async release(): Promise<void> {
    if (this.standby || this.counters.batches === 0) return;
    await this.send({
      kind: 'delta',
      upserts: [],
      removals: [],
      observedAt: this.now().toISOString(),
      release: true,
    }).catch(() => undefined);
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
    if (upserts.length === 0 && removals.length === 0)
      return this.send({ kind: 'delta', upserts, removals, observedAt: at });
    // Removals first: a rollout near the runtime's open-interval limit ends the old before opening the new.
    for (const part of removals.length ? splitParts(removals) : [])
      await this.send({ kind: 'delta', upserts: [], removals: part, observedAt: at });
    for (const part of upserts.length ? splitParts(upserts) : [])
      await this.send({ kind: 'delta', upserts: part, removals: [], observedAt: at });
  }

  /** The whole state, in parts sharing `observedAt`; groups still within the end debounce count as running. */
  private async sendFull(current: Map<string, ObservedGroup>, at: string): Promise<void> {
    const state = new Map(current);
    for (const [k, p] of this.pending) if (!state.has(k)) state.set(k, p.group);
    const parts = splitParts([...state.values()]);
    for (const [i, part] of parts.entries())
      await this.send({ kind: 'full', last: i === parts.length - 1, upserts: part, observedAt: at });
    this.counters.fullStates++;
    this.needFull = false;
    this.sent = new Map([...state].map(([k, g]) => [k, { group: g, json: JSON.stringify(g) }]));
  }

  private async send(b: Omit<ObservationBatch, 'observerId' | 'sequence'>): Promise<void> {
    this.sequence++;
    const result = await this.o.send({ observerId: this.observerId, sequence: this.sequence, ...b });
    if (result?.standby)
      throw new Standby('another observer of this runtime reports what runs; this one stands by');
    this.counters.batches++;
    this.lastSentMs = Date.now();
  }
}

function keyOf(g: ObservedGroup) {
  const { namespace, workloadKind, workloadName, application, registry, repository, digest } = g;
  return { namespace, workloadKind, workloadName, application, registry, repository, digest };
}

function keyTuple(k: ReturnType<typeof keyOf>): unknown[] {
  return [k.namespace, k.workloadKind, k.workloadName, k.application, k.registry, k.repository, k.digest];
}
