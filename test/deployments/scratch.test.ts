import { it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { cluster, pod, PATHS, digest } from './harness.js';
import { listPage } from '../../src/deployments/observer/kube.js';
import { startDeploymentObserver } from '../../src/deployments/observer/observer.js';
it('debug', async () => {
  const k = await cluster();
  k.api.apply(PATHS.pods, pod('p', 'x', undefined, { repository: 'a/b', digest: digest('a') }, '2026-01-01T00:00:00Z'));
  const kc = new KubeConfig();
  kc.loadFromFile(k.kubeconfig);
  try { console.log(JSON.stringify(await listPage(kc, '/api/v1/pods', { limit: 10 })).slice(0, 300)); } catch (e) { console.log('LIST ERR', e); }
  const c = new AbortController();
  const o = startDeploymentObserver({ kubeConfig: kc, signal: c.signal, flushMs: 20, send: async (b) => console.log('BATCH', JSON.stringify(b).slice(0, 400)), onError: (e, w) => console.log('ERR', w, e) });
  await new Promise((r) => setTimeout(r, 1500));
  console.log(JSON.stringify(o.stats()));
  c.abort(); await o.stopped; await k.stop();
});
