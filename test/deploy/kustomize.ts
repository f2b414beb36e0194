import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import * as z from 'zod';

// Renders Kustomize folders with kubectl's built-in Kustomize and validates each object against the
// upstream models: `kubernetes-models` (generated from the Kubernetes OpenAPI document) for built-in kinds,
// `@kubernetes-models/argo-cd` (generated from Argo CD's Go API types) for argoproj.io.

const run = promisify(execFile);

export const K8sObject = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});
export type K8sObject = z.infer<typeof K8sObject>;

/** `kubectl kustomize DIR`, parsed. */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseYamlObjects(stdout);
}

export function parseYamlObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((d) => d !== null)
    .map((d) => K8sObject.parse(d));
}

/**
 * Renders `base` with extra patches, as Argo CD does with an Application's `source.kustomize.patches`
 * (it adds them to a kustomization that wraps the path).
 */
export async function kustomizeWithPatches(base: string, patches: unknown[]): Promise<K8sObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 'imagetrail-kustomize-'));
  try {
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(dir, base)],
      patches,
    };
    await writeFile(join(dir, 'kustomization.yaml'), JSON.stringify(kustomization));
    return await kustomize(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type ModelClass = new (data: unknown) => { validate(): void };

/** The upstream model module for an apiVersion; undefined when no model is known (a test failure). */
async function modelFor(obj: K8sObject): Promise<ModelClass | undefined> {
  const module = obj.apiVersion.startsWith('argoproj.io/')
    ? `@kubernetes-models/argo-cd/${obj.apiVersion}`
    : `kubernetes-models/${obj.apiVersion}`;
  const exports = (await import(module).catch(() => ({}))) as Record<string, ModelClass | undefined>;
  return exports[obj.kind];
}

/**
 * Kustomize wraps a long Secret value's base64 at 76 columns; the API server decodes it with Go's
 * encoding/base64, which skips \r and \n, while the model's "byte" format does not: unwrap first.
 */
function apiServerView(obj: K8sObject): K8sObject {
  if (obj.apiVersion !== 'v1' || obj.kind !== 'Secret' || typeof obj['data'] !== 'object' || !obj['data'])
    return obj;
  const data = Object.fromEntries(
    Object.entries(obj['data'] as Record<string, string>).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')]),
  );
  return { ...obj, data };
}

/** Throws, naming the object and the failing paths, unless the upstream model accepts it. */
export async function assertValid(obj: K8sObject): Promise<void> {
  const Model = await modelFor(obj);
  const what = `${obj.apiVersion} ${obj.kind} ${obj.metadata.name}`;
  if (!Model) throw new Error(`${what}: no upstream schema for this kind`);
  try {
    new Model(apiServerView(obj)).validate();
  } catch (err) {
    throw new Error(`${what}: ${String(err)}`, { cause: err });
  }
}
