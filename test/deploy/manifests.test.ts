import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { BlockList } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as z from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEALTH_PATHS } from '../../src/agent/health.js';
import { ROOT } from '../helpers/imagetrail.js';
import { IMAGE_UID } from './oci-run.js';
import { imagetrailContainer, Probe, Workload } from './workload.js';
import { assertValid, kustomize, type K8sObject } from './kustomize.js';

// deploy/kustomize (bases and overlays), rendered and validated against the upstream
// schemas, then checked for what docs/deploy.md promises: confinement, probes, resources, replicas and
// their disruption budget, Secrets by reference (never in argv), the agent's identity and read-only RBAC.

const KUSTOMIZE = join(ROOT, 'deploy', 'kustomize');
const OVERLAYS = readdirSync(join(KUSTOMIZE, 'overlays')).sort();
const BASES = readdirSync(join(KUSTOMIZE, 'base')).sort();
const VERSION = z
  .object({ version: z.string() })
  .parse(JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))).version;

const rendered = new Map<string, K8sObject[]>();
beforeAll(async () => {
  for (const o of OVERLAYS) rendered.set(o, await kustomize(join(KUSTOMIZE, 'overlays', o)));
});
const objects = (overlay: string) => rendered.get(overlay) ?? [];
const find = (overlay: string, kind: string, name: string) => {
  const hit = objects(overlay).find((o) => o.kind === kind && o.metadata.name.startsWith(name));
  if (!hit) throw new Error(`${overlay}: no ${kind} ${name}`);
  return hit;
};
const workload = (overlay: string, name: string): Workload =>
  Workload.parse(
    objects(overlay).find((o) => /^(Deployment|StatefulSet)$/.test(o.kind) && o.metadata.name === name),
  );
const configMapData = (overlay: string, name: string) =>
  z.object({ data: z.record(z.string(), z.string()) }).parse(find(overlay, 'ConfigMap', name)).data;

describe('every Kustomize folder renders to objects the Kubernetes and Argo CD schemas accept', () => {
  it.each(BASES.map((b) => `base/${b}`).concat(OVERLAYS.map((o) => `overlays/${o}`)))('%s', async (dir) => {
    const objs = await kustomize(join(KUSTOMIZE, dir));
    expect(objs.length).toBeGreaterThan(0);
    for (const obj of objs) await assertValid(obj);
  });

  it('refuses a misspelt field, which the models alone would let through', async () => {
    const [w] = (await kustomize(join(KUSTOMIZE, 'base', 'agent'))).filter((o) => o.kind === 'Deployment');
    const typo = JSON.parse(
      JSON.stringify(w).replace('readOnlyRootFilesystem', 'readOnlyRootFileSystem'),
    ) as K8sObject;
    await expect(assertValid(typo)).rejects.toThrow(
      /fields no schema declares: \.spec\.template\.spec\.containers\[0\]\.securityContext\.readOnlyRootFileSystem$/,
    );
  });

  it('names the overlays docs/deploy.md describes', () => {
    expect(OVERLAYS).toEqual(['agent', 'evaluation', 'production']);
  });
});

describe.each(['production', 'evaluation', 'agent'])('workloads of overlays/%s', (overlay) => {
  const workloads = () => objects(overlay).filter((o) => /^(Deployment|StatefulSet)$/.test(o.kind));

  it('run confined: non-root, read-only root, no capabilities, RuntimeDefault seccomp, with resources', () => {
    expect(workloads().length).toBeGreaterThan(0);
    // The schemas above encode the rules; a parse failure names the missing or wrong field.
    for (const w of workloads()) Workload.parse(w);
  });

  it('give every imagetrail container its data volume, an empty /tmp, the image user and its probes', () => {
    for (const w of workloads().map((o) => Workload.parse(o))) {
      const c = imagetrailContainer(w);
      if (!c.image.includes('imagetrail')) continue;
      expect(w.spec.template.spec.securityContext.runAsUser).toBe(IMAGE_UID);
      expect(w.spec.template.spec.securityContext.fsGroup).toBe(IMAGE_UID);
      const mounts = c.volumeMounts.map((m) => m.mountPath);
      expect(mounts).toContain('/tmp');
      expect(mounts.some((m) => m.startsWith('/var/lib/imagetrail'))).toBe(true);
      const live = Probe.parse(c.livenessProbe);
      const ready = Probe.parse(c.readinessProbe);
      expect([live.httpGet.path, ready.httpGet.path]).toEqual(['/livez', '/readyz']);
      // Probes name a port the container declares.
      expect(c.ports.map((p) => p.name)).toContain(live.httpGet.port);
      expect(c.ports.map((p) => p.name)).toContain(ready.httpGet.port);
      expect(c.image).toBe(`registry.example.com/platform/imagetrail:${VERSION}`);
    }
  });

  it('put no Secret value in argv, and every $(VAR) in args is defined and not secret', () => {
    for (const w of workloads().map((o) => Workload.parse(o))) {
      for (const c of w.spec.template.spec.containers) {
        const fromConfigMaps = c.envFrom.flatMap((e) =>
          e.configMapRef ? Object.keys(configMapData(overlay, e.configMapRef.name)) : [],
        );
        const plain = new Set([
          ...c.env.filter((e) => !e.valueFrom?.secretKeyRef).map((e) => e.name),
          ...fromConfigMaps,
        ]);
        for (const ref of c.args.join(' ').matchAll(/\$\(([A-Z0-9_]+)\)/g)) expect(plain).toContain(ref[1]);
      }
    }
  });

  it('set no ConfigMap value to the empty string (an empty variable is not an unset one)', () => {
    for (const cm of objects(overlay).filter((o) => o.kind === 'ConfigMap')) {
      for (const [k, v] of Object.entries(configMapData(overlay, cm.metadata.name)))
        expect(v, k).not.toBe('');
    }
  });

  it('enforce the restricted Pod Security Standard on their namespace', () => {
    const ns = find(overlay, 'Namespace', '');
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const w of workloads()) expect(w.metadata.namespace).toBe(ns.metadata.name);
  });
});

describe.each(['production', 'evaluation'])('the control plane in overlays/%s', (overlay) => {
  const cp = () => workload(overlay, 'imagetrail-control-plane');

  it('runs several replicas, rolls without losing capacity, and a PDB lets one go at a time', () => {
    const w = cp();
    expect(w.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(w.spec['strategy']).toMatchObject({ rollingUpdate: { maxUnavailable: 0 } });
    const pdb = z
      .object({
        spec: z.object({
          maxUnavailable: z.number(),
          selector: z.object({ matchLabels: z.record(z.string(), z.string()) }),
        }),
      })
      .parse(find(overlay, 'PodDisruptionBudget', 'imagetrail-control-plane'));
    expect(pdb.spec.maxUnavailable).toBeLessThan(w.spec.replicas);
    expect(pdb.spec.selector.matchLabels).toEqual(w.spec.selector.matchLabels);
    expect(w.spec.template.metadata.labels).toMatchObject(w.spec.selector.matchLabels);
  });

  it('is reached through a Service that selects its pods on the named port', () => {
    const w = cp();
    const svc = z
      .object({
        spec: z.object({
          selector: z.record(z.string(), z.string()),
          ports: z.array(z.looseObject({ targetPort: z.string() })),
        }),
      })
      .parse(find(overlay, 'Service', 'imagetrail'));
    expect(svc.spec.selector).toEqual(w.spec.selector.matchLabels);
    expect(imagetrailContainer(w).ports.map((p) => p.name)).toContain(svc.spec.ports[0]!.targetPort);
  });

  it('serves on all addresses, with the database URL and shared secrets from Secrets, never generated', () => {
    const c = imagetrailContainer(cp());
    expect(c.args.slice(0, 3)).toEqual(['serve', '--host', '0.0.0.0']);
    // Hybrid work is the agents'; without this a second replica would need a shared local-runtime key.
    expect(c.args).toContain('--no-local-runtime');
    const env = new Map(c.env.map((e) => [e.name, e]));
    const dbSecret = env.get('IMAGETRAIL_DATABASE')?.valueFrom?.secretKeyRef;
    expect(dbSecret?.key).toBe('url');
    // The Secret is made outside Git in production; evaluation generates it (with a hash suffix).
    if (overlay === 'evaluation') {
      const secret = z
        .object({ data: z.record(z.string(), z.string()) })
        .parse(find(overlay, 'Secret', 'imagetrail-database'));
      expect(dbSecret?.name).toMatch(/^imagetrail-database-[a-z0-9]+$/);
      const url = new URL(Buffer.from(secret.data['url']!, 'base64').toString());
      expect(url.protocol).toBe('postgres:');
      find(overlay, 'Service', url.hostname);
      find(overlay, 'StatefulSet', url.hostname);
    } else {
      expect(dbSecret?.name).toBe('imagetrail-database');
    }
    expect(env.get('IMAGETRAIL_DATA_DIR')?.value).toBe('/var/lib/imagetrail');
    const secretVolume = z
      .object({
        secret: z.object({
          secretName: z.string(),
          items: z.array(z.object({ key: z.string(), path: z.string() })),
        }),
      })
      .parse(cp().spec.template.spec.volumes.find((v) => v.name === 'secrets'));
    expect(secretVolume.secret.secretName).toBe('imagetrail-control-plane');
    const mount = c.volumeMounts.find((m) => m.name === 'secrets')!;
    for (const [name, key] of [
      ['IMAGETRAIL_IDENTITY_FILE', 'identity'],
      ['IMAGETRAIL_ADMIN_TOKEN_FILE', 'admin-token'],
    ] as const) {
      const item = secretVolume.secret.items.find((i) => i.key === key)!;
      expect(env.get(name)?.value).toBe(`${mount.mountPath}/${item.path}`);
    }
    expect(cp().spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it('names its configuration repository and public URL, and only valid trusted-proxy CIDRs', () => {
    const data = configMapData(overlay, 'imagetrail-control-plane');
    expect(data['IMAGETRAIL_CONFIG_REPO']).toMatch(/^(https|ssh):\/\//);
    expect(() => new URL(data['IMAGETRAIL_PUBLIC_URL']!)).not.toThrow();
    if (data['IMAGETRAIL_CONFIG_REPO']!.startsWith('ssh://')) {
      // An ssh remote authenticates with the deploy key from the Secret imagetrail-git, where it is mounted.
      const w = cp();
      const mount = imagetrailContainer(w).volumeMounts.find((m) => m.name === 'git')!;
      expect(w.spec.template.spec.volumes.find((v) => v.name === 'git')).toMatchObject({
        secret: { secretName: 'imagetrail-git' },
      });
      expect(data['GIT_SSH_COMMAND']).toContain(`-i ${mount.mountPath}/ssh-privatekey`);
      expect(data['GIT_SSH_COMMAND']).toContain(`UserKnownHostsFile=${mount.mountPath}/known_hosts`);
    }
    const list = new BlockList();
    for (const cidr of (data['IMAGETRAIL_TRUSTED_PROXIES'] ?? '').split(',').filter(Boolean)) {
      const [net, bits] = cidr.trim().split('/');
      expect(() => list.addSubnet(net!, Number(bits))).not.toThrow();
    }
  });
});

describe('the agent in overlays/agent', () => {
  const agent = () => workload('agent', 'imagetrail-agent');

  it('runs one replica per cluster as a ServiceAccount annotated with its IAM role (IRSA)', () => {
    const w = agent();
    expect(w.spec.replicas).toBe(1);
    const sa = find('agent', 'ServiceAccount', 'imagetrail-agent');
    expect(w.spec.template.spec.serviceAccountName).toBe(sa.metadata.name);
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(
      /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/,
    );
  });

  it('dials the server for its runtime, keeps its identity on a volume, and reads its token from a Secret', () => {
    const c = imagetrailContainer(agent());
    expect(c.args).toEqual([
      'agent',
      '--server',
      '$(IMAGETRAIL_SERVER)',
      '--runtime',
      '$(IMAGETRAIL_RUNTIME)',
      '--data-dir',
      '/var/lib/imagetrail-agent',
      '--health-port',
      '8081',
      '--health-host',
      '0.0.0.0',
      // The read-only ClusterRole below exists for this: where each digest runs (docs/deployments.md).
      '--watch-deployments',
    ]);
    // The kubelet probes the pod's address, on paths the agent answers (src/agent/health.ts).
    const probed = [Probe.parse(c.livenessProbe), Probe.parse(c.readinessProbe)].map((p) => p.httpGet.path);
    expect(probed).toEqual([HEALTH_PATHS.live, HEALTH_PATHS.ready]);
    const token = c.env.find((e) => e.name === 'IMAGETRAIL_REGISTRATION_TOKEN');
    expect(token?.valueFrom?.secretKeyRef).toEqual({ name: 'imagetrail-agent', key: 'registration-token' });
    expect(c.ports).toContainEqual(expect.objectContaining({ name: 'health', containerPort: 8081 }));
    const data = configMapData('agent', 'imagetrail-agent');
    expect(data['IMAGETRAIL_SERVER']).toMatch(/^https:\/\//);
    expect(data['IMAGETRAIL_RUNTIME']).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    const volume = agent().spec.template.spec.volumes.find((v) => v.name === 'data');
    expect(volume).toMatchObject({ persistentVolumeClaim: { claimName: 'imagetrail-agent-data' } });
    find('agent', 'PersistentVolumeClaim', 'imagetrail-agent-data');
  });

  it('may only list and watch workloads (Argo Rollouts included) and Argo CD Applications, bound to its own ServiceAccount', () => {
    const Rule = z.object({
      apiGroups: z.array(z.string()),
      resources: z.array(z.string()),
      verbs: z.array(z.string()),
    });
    const role = z.object({ rules: z.array(Rule) }).parse(find('agent', 'ClusterRole', 'imagetrail-agent'));
    const granted = role.rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)),
    );
    expect(granted.sort()).toEqual(
      [
        '/pods',
        'apps/replicasets',
        'apps/deployments',
        'apps/statefulsets',
        'apps/daemonsets',
        'batch/jobs',
        'batch/cronjobs',
        'argoproj.io/applications',
        'argoproj.io/rollouts',
      ].sort(),
    );
    for (const r of role.rules) expect(r.verbs.sort()).toEqual(['list', 'watch']);
    const binding = z
      .object({
        roleRef: z.object({ name: z.string() }),
        subjects: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string() })),
      })
      .parse(find('agent', 'ClusterRoleBinding', 'imagetrail-agent'));
    expect(binding.roleRef.name).toBe('imagetrail-agent');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'imagetrail-agent', namespace: agent().metadata.namespace },
    ]);
  });
});

describe('deploy/crds is still what npm run crds writes', () => {
  it('holds only CustomResourceDefinitions (Kustomize folders live beside it, not in it)', async () => {
    for (const f of readdirSync(join(ROOT, 'deploy', 'crds'))) {
      const doc = z
        .object({ kind: z.string() })
        .parse(parse(await readFile(join(ROOT, 'deploy', 'crds', f), 'utf8')));
      expect(doc.kind).toBe('CustomResourceDefinition');
    }
  });
});
