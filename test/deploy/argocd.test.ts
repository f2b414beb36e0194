import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { assertArgoApplication } from '../helpers/kubernetes-schemas.js';
import { ROOT } from '../helpers/imagetrail.js';
import { assertValid, kustomize, kustomizeWithPatches, parseYamlObjects } from './kustomize.js';
import { imagetrailContainer, Workload } from './workload.js';

// deploy/argocd: imagetrail deployed by Argo CD from Git, validated against Argo CD's Application and
// ApplicationSet models, and rendered the way Argo CD would render what they point at.

describe('Argo CD deploys imagetrail from Git', () => {
  const ARGO = join(ROOT, 'deploy', 'argocd');
  const load = async (file: string) => parseYamlObjects(await readFile(join(ARGO, file), 'utf8'));

  it('the control plane Application is valid and points at an overlay that renders into its namespace', async () => {
    const [app] = await load('control-plane-application.yaml');
    assertArgoApplication(app);
    await assertValid(app!);
    const spec = z
      .object({ source: z.object({ path: z.string() }), destination: z.object({ namespace: z.string() }) })
      .parse(app!['spec']);
    expect((await stat(join(ROOT, spec.source.path))).isDirectory()).toBe(true);
    const objs = await kustomize(join(ROOT, spec.source.path));
    for (const o of objs.filter((x) => x.kind !== 'Namespace' && !x.kind.startsWith('Cluster')))
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(spec.destination.namespace);
  });

  it("the agents' ApplicationSet is valid, and its template for one cluster renders that cluster's agent", async () => {
    const [set] = await load('agents-applicationset.yaml');
    await assertValid(set!);
    const cluster = {
      name: 'prod-eu',
      server: 'https://prod-eu.example.com',
      annotations: {
        'imagetrail.dev/runtime': 'prod-eu',
        'imagetrail.dev/agent-role-arn': 'arn:aws:iam::210987654321:role/imagetrail-agent-prod-eu',
      },
    };
    // The cluster generator's parameters (Argo CD docs, "Cluster Generator"), in the template's Go syntax.
    const text = JSON.stringify(
      z.object({ spec: z.object({ template: z.unknown() }) }).parse(set).spec.template,
    )
      .replaceAll('{{ .name }}', cluster.name)
      .replaceAll('{{ .server }}', cluster.server)
      .replace(
        /\{\{ index \.metadata\.annotations \\"([^"\\]+)\\" \}\}/g,
        (_, k: string) => cluster.annotations[k as keyof typeof cluster.annotations],
      );
    expect(text).not.toContain('{{');
    const template = z.object({ metadata: z.unknown(), spec: z.looseObject({}) }).parse(JSON.parse(text));
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...template };
    assertArgoApplication(app);
    const source = z
      .object({ path: z.string(), kustomize: z.object({ patches: z.array(z.unknown()) }) })
      .parse(z.object({ source: z.unknown() }).parse(template.spec).source);
    const objs = await kustomizeWithPatches(join(ROOT, source.path), source.kustomize.patches);
    for (const o of objs) await assertValid(o);
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(
      cluster.annotations['imagetrail.dev/agent-role-arn'],
    );
    const c = imagetrailContainer(Workload.parse(objs.find((o) => o.kind === 'Deployment')));
    // The last definition of a name wins over envFrom; Kubernetes expands $(IMAGETRAIL_RUNTIME) from it.
    expect(c.env.filter((e) => e.name === 'IMAGETRAIL_RUNTIME').at(-1)?.value).toBe('prod-eu');
  });
});
