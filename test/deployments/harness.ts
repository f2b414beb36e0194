import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ObservationBatch } from '../../src/contract/deployments.js';
import type { ConfigSnapshot } from '../../src/config-repo/snapshot.js';
import { DeploymentService } from '../../src/deployments/deployment-service.js';
import {
  startDeploymentObserver,
  type DeploymentObserver,
  type DeploymentObserverOptions,
} from '../../src/deployments/observer/observer.js';
import { createLogger } from '../../src/logging/logger.js';
import { Redactor } from '../../src/logging/redactor.js';
import { createApp, type AppDeps } from '../../src/server/app.js';
import { FakeTokenStore } from '../../src/store/fake-token-store.js';
import { SqlDeploymentStore } from '../../src/store/sql-deployment-store.js';
import { SqlImageStore } from '../../src/store/sql-image-store.js';
import { SqlReportStore } from '../../src/store/sql-report-store.js';
import type { TestDatabase } from '../helpers/databases.js';
import { FakeKubeApiServer, PATHS, type KubeObject } from '../peers/kube-apiserver.js';

export const HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
export const digest = (c: string) => `sha256:${c.repeat(64)}`;

/** The control plane in-process (real stores on the test database) and tokens for each runtime. */
export async function controlPlane(
  db: TestDatabase,
  runtimes = ['local', 'edge', 'other'],
  opts: { leaseMs?: number; maxOpenPerRuntime?: number; now?: () => Date } = {},
) {
  const redactor = new Redactor();
  const tokens = new FakeTokenStore();
  const images = new SqlImageStore({ db: db.db, dialect: db.engine });
  const store = new SqlDeploymentStore({ db: db.db, ...opts });
  const reports = new SqlReportStore({ db: db.db });
  const snapshot = {
    runtimes: new Map(runtimes.map((r) => [r, {}])),
    integrations: [],
  } as unknown as ConfigSnapshot;
  const repo = { snapshot: () => snapshot };
  const deployments = new DeploymentService({ store, images, reports, repo });
  const app = createApp({
    version: '0.0.0-test',
    redactor,
    logger: createLogger(redactor, { level: 'silent' }),
    tokens,
    localRuntime: 'local',
    images,
    repo,
    deployments,
  } as unknown as AppDeps);
  const token = async (scopes: string[]) =>
    (await tokens.create({ name: scopes.join('+'), scopes: scopes as never })).token;
  const admin = await token(['admin']);
  const call = async (method: string, path: string, body?: unknown, bearer = admin) => {
    const res = await app.request(`/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: await res.json() };
  };
  return { app, images, store, reports, deployments, token, admin, call };
}
export type ControlPlane = Awaited<ReturnType<typeof controlPlane>>;

/** A stand-in cluster with a kubeconfig, and an observer posting to the control plane as `runtime`. */
export async function cluster(opts: { bookmarkIntervalMs?: number } = {}) {
  const api = new FakeKubeApiServer({ bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 200 });
  await api.start();
  const dir = mkdtempSync(join(tmpdir(), 'imagetrail-kube-'));
  const kubeconfig = api.writeKubeconfig(dir);
  return {
    api,
    kubeconfig,
    async stop() {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function observe(
  kubeconfig: string,
  cp: ControlPlane,
  runtimeToken: string,
  runtime = 'edge',
  extra: Partial<
    Pick<
      DeploymentObserverOptions,
      | 'resyncMs'
      | 'endDebounceMs'
      | 'heartbeatMs'
      | 'maxObjects'
      | 'bounds'
      | 'pageSize'
      | 'watchTimeoutSeconds'
    >
  > = {},
): {
  observer: DeploymentObserver;
  stop: () => Promise<void>;
  batches: ObservationBatch[];
  /** The control plane's answers to the applied batches. */
  results: Array<{ opened: number; closed: number }>;
  errors: unknown[];
} {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const controller = new AbortController();
  const batches: ObservationBatch[] = [];
  const results: Array<{ opened: number; closed: number }> = [];
  const errors: unknown[] = [];
  const observer = startDeploymentObserver({
    ...extra,
    kubeConfig: kc,
    signal: controller.signal,
    flushMs: 20,
    endDebounceMs: extra.endDebounceMs ?? 150,
    resyncMs: extra.resyncMs ?? 3_600_000,
    minBackoffMs: 20,
    maxBackoffMs: 200,
    onError: (err) => errors.push(err),
    send: async (batch) => {
      const res = await cp.call('POST', `/runtimes/${runtime}/observations`, batch, runtimeToken);
      if (res.status !== 200) throw new Error(`observations: HTTP ${res.status} ${JSON.stringify(res.json)}`);
      if (!res.json.standby) batches.push(batch);
      if (res.json.applied) results.push(res.json);
      return res.json;
    },
  });
  return {
    observer,
    batches,
    results,
    errors,
    async stop() {
      controller.abort();
      await observer.stopped;
    },
  };
}

/** Polls until `check` stops throwing (the observer works asynchronously). */
export async function eventually<T>(check: () => Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`);
}

// ---- Kubernetes objects -----------------------------------------------------------------------------

export function deployment(ns: string, name: string, app?: string): KubeObject {
  return {
    metadata: {
      name,
      namespace: ns,
      ...(app
        ? { annotations: { 'argocd.argoproj.io/tracking-id': `${app}:apps/Deployment:${ns}/${name}` } }
        : {}),
    },
    spec: { replicas: 3 },
  };
}

export function replicaSet(ns: string, name: string, deploymentName: string): KubeObject {
  return {
    metadata: {
      name,
      namespace: ns,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName, controller: true },
      ],
    },
  };
}

export function pod(
  ns: string,
  name: string,
  owner: { kind: string; name: string } | undefined,
  image: { repository: string; digest: string; tag?: string },
  startedAt: string,
): KubeObject {
  return {
    metadata: {
      name,
      namespace: ns,
      ...(owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, controller: true },
            ],
          }
        : {}),
    },
    spec: { containers: [{ name: 'app', image: `${HOST}/${image.repository}:${image.tag ?? 'latest'}` }] },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          image: `${HOST}/${image.repository}:${image.tag ?? 'latest'}`,
          imageID: `docker-pullable://${HOST}/${image.repository}@${image.digest}`,
          ready: true,
          state: { running: { startedAt } },
        },
      ],
    },
  };
}

export function application(name: string, revision: string): KubeObject {
  return {
    metadata: { name, namespace: 'argocd' },
    spec: {
      project: 'default',
      destination: { server: 'https://kubernetes.default.svc', namespace: 'prod' },
    },
    status: { sync: { status: 'Synced', revision }, health: { status: 'Healthy' } },
  };
}

export { PATHS };
