import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  applicationWarnings,
  ArgoApplication,
  buildInClusterApplication,
  renderInClusterApplication,
} from './argo.js';

describe('in-cluster Application', () => {
  it('matches the Codefresh shape for a remote with sub-path and ref, plus the CRD folder', () => {
    const app = buildInClusterApplication({
      runtime: 'eu',
      location: { kind: 'remote', url: 'https://g/acme/isc.git', subPath: 'gitops', ref: 'prod' },
      branch: 'prod',
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
              '{crds/*.yaml,all-runtimes-all-clusters/*.yaml,all-runtimes-all-clusters/**/*.yaml,runtimes/eu/*.yaml,runtimes/eu/**/*.yaml,control-planes/*.yaml,control-planes/**/*.yaml}',
          },
        },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'eu' },
        syncPolicy: {
          automated: { prune: true, selfHeal: true, allowEmpty: true },
          syncOptions: ['CreateNamespace=true', 'SkipDryRunOnMissingResource=true'],
        },
      },
    });
    expect(app.metadata.annotations).toBeUndefined();
    expect(applicationWarnings(ArgoApplication.parse(app))).toEqual([]);
  });

  it('names the branch imagetrail pushes, never HEAD, also without ?ref=', () => {
    const app = buildInClusterApplication({
      runtime: 'eu',
      location: { kind: 'remote', url: 'git@g:acme/isc.git' },
      branch: 'main',
    });
    expect(app.spec.source.targetRevision).toBe('main');
  });

  it('says plainly, in an annotation and a comment, that a local repository needs a Git URL', () => {
    const text = renderInClusterApplication({
      runtime: 'local',
      location: { kind: 'local', path: '/data/cfg' },
      branch: 'main',
    });
    expect(text.split('\n')[0]).toMatch(/^# NOTE: spec\.source\.repoURL is a path on imagetrail's host/);
    const doc = ArgoApplication.parse(parse(text));
    expect(doc.spec.source).toMatchObject({
      repoURL: '/data/cfg',
      targetRevision: 'main',
      path: 'resources',
    });
    expect(doc.metadata['annotations']).toEqual({
      'imagetrail.dev/repo-url-note': expect.stringMatching(/Argo CD cannot reach.*Git URL/) as string,
    });
    expect(applicationWarnings(doc).map((w) => w.path)).toEqual(['spec.source.repoURL']);
  });

  it('treats a bare repository given as a path or file:// URL as a host path too', () => {
    for (const url of ['/srv/cfg.git', 'file:///srv/cfg.git']) {
      const app = buildInClusterApplication({
        runtime: 'eu',
        location: { kind: 'remote', url },
        branch: 'main',
      });
      expect(app.metadata.annotations?.['imagetrail.dev/repo-url-note']).toMatch(/Git URL/);
    }
  });

  it('warns about a hand-written HEAD revision', () => {
    const app = ArgoApplication.parse({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'x' },
      spec: { source: { repoURL: 'https://g/x.git', targetRevision: 'HEAD' }, destination: {} },
    });
    expect(applicationWarnings(app)).toEqual([
      expect.objectContaining({ path: 'spec.source.targetRevision' }),
    ]);
  });

  it('refuses an invalid runtime name', () => {
    expect(() =>
      buildInClusterApplication({ runtime: '../x', location: { kind: 'local', path: '/x' }, branch: 'main' }),
    ).toThrow();
  });
});
