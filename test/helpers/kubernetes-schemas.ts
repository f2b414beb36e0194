import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { Ajv, type ValidateFunction } from 'ajv';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { RE2JS } from 're2js';

// Upstream schemas for what imagetrail writes into the configuration repository, and the checks the
// Kubernetes API server makes on a CRD's schema:
// - Argo CD's Application: `@kubernetes-models/argo-cd`, generated from Argo CD's Go API types
//   (github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1), the source of its CRD;
// - apiextensions.k8s.io/v1 CustomResourceDefinition: `kubernetes-models`, generated from Kubernetes'
//   OpenAPI document;
// - structural-schema rules: Kubernetes docs, "Specifying a structural schema" (rules 1–4), plus
//   `properties` and `additionalProperties` being mutually exclusive, and Go (RE2) regular expressions.

type Node = Record<string, unknown>;

/** Throws with the failing paths when the upstream Argo CD model refuses the Application. */
export function assertArgoApplication(doc: unknown): void {
  new Application(doc as ConstructorParameters<typeof Application>[0]).validate();
}

/** Throws when the object is not a valid apiextensions.k8s.io/v1 CustomResourceDefinition. */
export function assertCustomResourceDefinition(doc: unknown): void {
  new CustomResourceDefinition(doc as ConstructorParameters<typeof CustomResourceDefinition>[0]).validate();
}

const JUNCTORS = ['allOf', 'anyOf', 'oneOf', 'not'] as const;
const FORBIDDEN_IN_JUNCTOR = ['description', 'type', 'default', 'additionalProperties', 'nullable'];
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every way the schema breaks the structural rules, as `path: problem` lines; [] when structural. */
export function structuralViolations(root: Node): string[] {
  const out: string[] = [];
  walk(root, '$', false, out);
  const metadata = (root['properties'] as Record<string, Node> | undefined)?.['metadata'];
  if (metadata) {
    const extra = Object.keys(metadata).filter((k) => k !== 'type' && k !== 'properties');
    const props = Object.keys((metadata['properties'] as Node | undefined) ?? {});
    if (extra.length > 0 || props.some((p) => p !== 'name' && p !== 'generateName')) {
      out.push('$.metadata: only restrictions on metadata.name and metadata.generateName are allowed');
    }
  }
  return out;
}

function walk(node: Node, at: string, inJunctor: boolean, out: string[]): void {
  if ('$ref' in node) out.push(`${at}: $ref is not allowed`);
  if ('const' in node) out.push(`${at}: const is not OpenAPI v3.0`);
  if (inJunctor) {
    for (const k of FORBIDDEN_IN_JUNCTOR) if (k in node) out.push(`${at}: ${k} inside a junctor`);
  } else {
    const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
    const intOrString = node['x-kubernetes-int-or-string'] === true;
    if (!preserve && !intOrString && !TYPES.has(node['type'] as string)) {
      out.push(`${at}: missing or invalid type ${JSON.stringify(node['type'])}`);
    }
    if ('properties' in node && 'additionalProperties' in node) {
      out.push(`${at}: properties and additionalProperties together`);
    }
    if (node['additionalProperties'] === false) out.push(`${at}: additionalProperties: false`);
  }
  if (typeof node['pattern'] === 'string') {
    try {
      RE2JS.compile(node['pattern']);
    } catch (err) {
      out.push(`${at}: pattern is not RE2 (Go regexp): ${String(err)}`);
    }
  }
  const props = isNode(node['properties']) ? (node['properties'] as Record<string, Node>) : {};
  for (const [k, v] of Object.entries(props)) walk(v, `${at}.${k}`, inJunctor, out);
  if (isNode(node['items'])) walk(node['items'], `${at}[]`, inJunctor, out);
  if (isNode(node['additionalProperties'])) walk(node['additionalProperties'], `${at}.*`, inJunctor, out);
  for (const j of JUNCTORS) {
    const branches =
      j === 'not' ? (isNode(node[j]) ? [node[j]] : []) : ((node[j] as Node[] | undefined) ?? []);
    branches.forEach((b, i) => {
      walk(b, `${at}<${j}${i}>`, true, out);
      // Rule 2: whatever a junctor says about a field, the field is also declared outside it.
      for (const k of Object.keys((b['properties'] as Node | undefined) ?? {})) {
        if (!(k in props)) out.push(`${at}<${j}${i}>.${k}: not declared outside the junctor`);
      }
      if (b['items'] !== undefined && node['items'] === undefined) {
        out.push(`${at}<${j}${i}>: items not declared outside the junctor`);
      }
    });
  }
}

/**
 * A validator for the CRD's openAPIV3Schema, as the API server applies it (formats aside: the patterns
 * carry those rules). `strict` also refuses fields the schema does not declare, which the API server would
 * otherwise silently prune: a resource imagetrail writes must survive the round trip whole.
 */
export function crdSchemaValidator(schema: Node, opts: { strict?: boolean } = {}): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  ajv.addKeyword('x-kubernetes-preserve-unknown-fields');
  ajv.addKeyword('x-kubernetes-int-or-string');
  return ajv.compile(opts.strict ? closeObjects(schema, true) : schema);
}

/** Adds `additionalProperties: false` to every declared object, except metadata (the server's). */
function closeObjects(node: Node, isRoot: boolean): Node {
  const out: Node = { ...node };
  if (isNode(node['properties'])) {
    out['properties'] = Object.fromEntries(
      Object.entries(node['properties'] as Record<string, Node>).map(([k, v]) => [
        k,
        isRoot && k === 'metadata' ? v : closeObjects(v, false),
      ]),
    );
    if (node['x-kubernetes-preserve-unknown-fields'] !== true) out['additionalProperties'] = false;
  }
  if (isNode(node['items'])) out['items'] = closeObjects(node['items'], false);
  return out;
}
