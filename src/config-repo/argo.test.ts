import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ArgoApplication, buildInClusterApplication, renderInClusterApplication } from './argo.js';

describe('in-cluster Application', () => {
  it('matches the Codefresh shape for a remote with sub-path and ref', () => {
    const app = buildInClusterApplication({
      runtime: 'eu',
      location: { kind: 'remote', url: 'https://g/acme/isc.git', subPath: 'gitops', ref: 'prod' },
    });
    expect(app).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'eu-in-cluster', labels: { 'imagetrail.dev/entity': 'internal-config' } },
      spec: {
        source: {
          repoURL: 'https://g/acme/isc.git',
          targetRevision: 'prod',
          path: 'gitops/resources',
          directory: {
            recurse: true,
            include:
              '{all-runtimes-all-clusters/*.yaml,all-runtimes-all-clusters/**/*.yaml,runtimes/eu/*.yaml,runtimes/eu/**/*.yaml,control-planes/*.yaml,control-planes/**/*.yaml}',
          },
        },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'eu' },
        syncPolicy: { automated: { prune: true, selfHeal: true, allowEmpty: true } },
      },
    });
  });

  it('uses the local path and HEAD for a local repository, and renders YAML the loose schema accepts', () => {
    const text = renderInClusterApplication({
      runtime: 'local',
      location: { kind: 'local', path: '/data/cfg' },
    });
    const doc = ArgoApplication.parse(parse(text));
    expect(doc.spec.source).toMatchObject({
      repoURL: '/data/cfg',
      targetRevision: 'HEAD',
      path: 'resources',
    });
  });

  it('refuses an invalid runtime name', () => {
    expect(() =>
      buildInClusterApplication({ runtime: '../x', location: { kind: 'local', path: '/x' } }),
    ).toThrow();
  });
});
