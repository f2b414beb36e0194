import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

// The models accept fields their schema does not declare (so would `kubectl apply` without strict
// validation, dropping them): a misspelt `readOnlyRootFileSystem` would pass unseen. Every field name any of
// the models declares, read from their type declarations, catches such typos.
const MODEL_DIRS = ['kubernetes-models', '@kubernetes-models/apimachinery', '@kubernetes-models/argo-cd'];
/** Fields whose keys are data (label keys, ConfigMap keys, resource names), not schema fields. */
const MAP_FIELDS = new Set([
  'labels',
  'annotations',
  'data',
  'stringData',
  'binaryData',
  'matchLabels',
  'nodeSelector',
  'limits',
  'requests',
]);
let knownFields: Set<string> | undefined;

function declaredFields(): Set<string> {
  if (knownFields) return knownFields;
  const known = new Set<string>();
  const walkDir = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory() && e.name !== '_schemas') walkDir(path);
      else if (e.name.endsWith('.d.ts'))
        for (const m of readFileSync(path, 'utf8').matchAll(/^\s+"?([A-Za-z_$][\w$\-.]*)"?\??:/gm))
          known.add(m[1]!);
    }
  };
  for (const d of MODEL_DIRS) walkDir(join(import.meta.dirname, '..', '..', 'node_modules', d));
  return (knownFields = known);
}

/** Paths of fields no model declares; [] when every field name is a known one. */
export function unknownFields(obj: unknown): string[] {
  const known = declaredFields();
  const out: string[] = [];
  const walk = (v: unknown, path: string, parentKey: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`, parentKey));
    if (v === null || typeof v !== 'object') return;
    // A Service's selector is a map; a LabelSelector has matchLabels/matchExpressions.
    const isMap =
      MAP_FIELDS.has(parentKey) ||
      (parentKey === 'selector' && !('matchLabels' in v) && !('matchExpressions' in v));
    for (const [k, x] of Object.entries(v)) {
      if (!isMap && !known.has(k)) out.push(`${path}.${k}`);
      walk(x, `${path}.${k}`, isMap ? '' : k);
    }
  };
  walk(obj, '', '');
  return out;
}

/** Throws, naming the object and the failing paths, unless the upstream model accepts it. */
export async function assertValid(obj: K8sObject): Promise<void> {
  const Model = await modelFor(obj);
  const what = `${obj.apiVersion} ${obj.kind} ${obj.metadata.name}`;
  if (!Model) throw new Error(`${what}: no upstream schema for this kind`);
  const unknown = unknownFields(obj);
  if (unknown.length > 0) throw new Error(`${what}: fields no schema declares: ${unknown.join(', ')}`);
  try {
    new Model(apiServerView(obj)).validate();
  } catch (err) {
    throw new Error(`${what}: ${String(err)}`, { cause: err });
  }
}
