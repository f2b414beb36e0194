/**
 * Turns the JSON Schema that `z.toJSONSchema` emits (draft 2020-12) into an OpenAPI v3 *structural*
 * schema, the form a CustomResourceDefinition (apiextensions.k8s.io/v1) requires:
 * every node typed, no `$ref`, no `const`, `additionalProperties` never next to `properties`, and
 * unions rewritten so that the junctors (`oneOf`/`anyOf`) hold only value checks (`required`, `enum`)
 * while every field is also declared, typed, outside them.
 * Kubernetes docs: "Specifying a structural schema" (Extend the Kubernetes API with CRDs).
 *
 * Anything this converter does not understand throws, naming the path: a new zod feature must fail the
 * CRD test rather than produce a CRD the API server refuses.
 */

export type JsonSchema = { [key: string]: unknown };

/** The `format` values the API server knows (apiextensions-apiserver); others are dropped. */
const KUBERNETES_FORMATS = new Set([
  'bsonobjectid',
  'uri',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uuid',
  'uuid3',
  'uuid4',
  'uuid5',
  'isbn',
  'isbn10',
  'isbn13',
  'creditcard',
  'ssn',
  'hexcolor',
  'rgbcolor',
  'byte',
  'password',
  'date',
  'duration',
  'datetime',
  'date-time',
]);

/** Keywords copied as they are (same meaning in JSON Schema 2020-12 and OpenAPI v3.0). */
const COPIED = [
  'description',
  'minimum',
  'maximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
  'default',
] as const;

/** Keywords with nothing to carry over: annotations, or rules the API server cannot express. */
const IGNORED = new Set(['$schema', 'title', 'examples', 'propertyNames', 'id', '$id', 'readOnly']);

/**
 * Go's regexp (RE2), which the API server uses for `pattern`, has no lookaround and no backreferences.
 * Such a pattern is dropped: zod, which imagetrail runs on every file, still enforces it.
 */
export function isRe2Compatible(pattern: string): boolean {
  if (/\(\?<?[=!]|\\[1-9]|\\k</.test(pattern)) return false;
  // RE2 refuses repeat counts above 1000.
  return ![...pattern.matchAll(/\{(\d+)(?:,(\d*))?\}/g)].some(
    (m) => Number(m[1]) > 1000 || Number(m[2] ?? 0) > 1000,
  );
}

/**
 * A whole-string character class with a long repeat, `^[…]{a,b}$`, is the same as `^[…]+$` with
 * minLength a and maxLength b, which RE2 can take.
 */
function re2Pattern(pattern: string): JsonSchema {
  if (isRe2Compatible(pattern)) return { pattern };
  const m = /^\^(\[(?:[^\]\\]|\\.)+\])\{(\d+),(\d+)\}\$$/.exec(pattern);
  if (m && isRe2Compatible(`^${m[1]}+$`)) {
    return { pattern: `^${m[1]}+$`, minLength: Number(m[2]), maxLength: Number(m[3]) };
  }
  return {};
}

export class StructuralSchemaError extends Error {}

function fail(at: string, message: string): never {
  throw new StructuralSchemaError(`${at}: ${message}`);
}

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Converts one node; `at` is a JSON-path-like location for error messages. */
export function toStructural(node: unknown, at = '$'): JsonSchema {
  if (!isObject(node)) fail(at, 'schema node is not an object');
  if ('$ref' in node || '$defs' in node || 'definitions' in node) {
    fail(at, 'references are not allowed in a CRD schema; generate with reused: "inline"');
  }
  const union = node['oneOf'] ?? node['anyOf'];
  if (union !== undefined) return unionToStructural(node, union, 'oneOf' in node ? 'oneOf' : 'anyOf', at);
  if (Object.keys(node).filter((k) => !IGNORED.has(k) && k !== 'description').length === 0) {
    // z.unknown() / z.any(): nothing is known, so the API server must keep whatever is there.
    return withDescription({ 'x-kubernetes-preserve-unknown-fields': true }, node);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (IGNORED.has(key)) continue;
    convertKeyword(out, key, value, node, at);
  }
  if (out['type'] === undefined) fail(at, 'every node of a structural schema needs a type');
  return out;
}

function convertKeyword(out: JsonSchema, key: string, value: unknown, node: JsonSchema, at: string): void {
  switch (key) {
    case 'type':
      if (typeof value !== 'string') fail(at, `type must be one type, not ${JSON.stringify(value)}`);
      if (value === 'null') fail(at, 'null types are not supported');
      out['type'] = value;
      return;
    case 'const':
      out['enum'] = [value];
      return;
    case 'enum':
      out['enum'] = value;
      return;
    case 'pattern':
      if (typeof value === 'string') mergeBounds(out, re2Pattern(value));
      return;
    case 'format':
      if (typeof value === 'string' && KUBERNETES_FORMATS.has(value)) out['format'] = value;
      return;
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      // 2020-12 carries the bound in the keyword; OpenAPI v3.0 has a boolean next to minimum/maximum.
      out[key === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = value;
      out[key] = true;
      return;
    case 'properties':
      if (!isObject(value)) fail(at, 'properties must be an object');
      out['properties'] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, toStructural(v, `${at}.${k}`)]),
      );
      return;
    case 'additionalProperties':
      additionalProperties(out, value, node, at);
      return;
    case 'items':
      out['items'] = toStructural(value, `${at}[]`);
      return;
    case 'minLength':
    case 'maxLength':
      mergeBounds(out, { [key]: value });
      return;
    default:
      if ((COPIED as readonly string[]).includes(key)) {
        out[key] = value;
        return;
      }
      fail(at, `keyword ${key} has no structural equivalent here`);
  }
}

/** Sets pattern and length bounds, keeping the tighter bound when one is already there. */
function mergeBounds(out: JsonSchema, add: JsonSchema): void {
  for (const [k, v] of Object.entries(add)) {
    const cur = out[k];
    if (typeof cur === 'number' && typeof v === 'number')
      out[k] = k === 'minLength' ? Math.max(cur, v) : Math.min(cur, v);
    else out[k] = v;
  }
}

function additionalProperties(out: JsonSchema, value: unknown, node: JsonSchema, at: string): void {
  if (value === false) return; // strict zod objects: the API server prunes unknown fields instead
  if (value === true) {
    out['x-kubernetes-preserve-unknown-fields'] = true;
    return;
  }
  if ('properties' in node) fail(at, 'properties and a schema for additionalProperties cannot be combined');
  out['additionalProperties'] = toStructural(value, `${at}.*`);
}

function withDescription(out: JsonSchema, node: JsonSchema): JsonSchema {
  return typeof node['description'] === 'string' ? { description: node['description'], ...out } : out;
}

/**
 * A union of objects becomes one object declaring every field of every variant (typed), and a junctor
 * whose branches keep only what tells them apart: the variant's required fields and its discriminator
 * values. A union of scalars of one type becomes an enum.
 */
function unionToStructural(node: JsonSchema, union: unknown, junctor: string, at: string): JsonSchema {
  if (!Array.isArray(union) || union.length === 0) fail(at, `${junctor} must be a non-empty list`);
  const variants = union.map((v, i) => toStructural(v, `${at}<${i}>`));
  const types = new Set(variants.map((v) => v['type']));
  if (types.size !== 1) fail(at, `union of different types (${[...types].join(', ')})`);
  const type = variants[0]!['type'];
  if (type !== 'object') {
    if (!variants.every((v) => Array.isArray(v['enum']))) fail(at, `union of ${String(type)} without enums`);
    return withDescription({ type, enum: variants.flatMap((v) => v['enum'] as unknown[]) }, node);
  }
  const merged = variants.reduce((a, b) => mergeObjects(a, b, at));
  const branches = variants.map((v) => branchOf(v, merged));
  return withDescription({ ...merged, [junctor]: branches }, node);
}

function branchOf(variant: JsonSchema, merged: JsonSchema): JsonSchema {
  const props = (variant['properties'] ?? {}) as Record<string, JsonSchema>;
  const mergedProps = (merged['properties'] ?? {}) as Record<string, JsonSchema>;
  const discriminators = Object.entries(props).filter(
    ([k, s]) => Array.isArray(s['enum']) && !sameJson(s['enum'], mergedProps[k]?.['enum']),
  );
  const branch: JsonSchema = {};
  if (Array.isArray(variant['required'])) branch['required'] = variant['required'];
  if (discriminators.length > 0) {
    branch['properties'] = Object.fromEntries(discriminators.map(([k, s]) => [k, { enum: s['enum'] }]));
  }
  return branch;
}

/** Merges two structural object schemas field by field; `required` keeps what both require. */
function mergeObjects(a: JsonSchema, b: JsonSchema, at: string): JsonSchema {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (['properties', 'required', 'description', 'oneOf', 'anyOf'].includes(key)) continue;
    if (!sameJson(a[key], b[key])) fail(at, `union variants disagree on ${key}`);
  }
  if (a['oneOf'] || a['anyOf'] || b['oneOf'] || b['anyOf']) {
    fail(at, 'a union nested in a field two variants share cannot be merged');
  }
  const props: Record<string, JsonSchema> = { ...((a['properties'] ?? {}) as Record<string, JsonSchema>) };
  for (const [k, s] of Object.entries((b['properties'] ?? {}) as Record<string, JsonSchema>)) {
    props[k] = props[k] === undefined ? s : mergeField(props[k], s, `${at}.${k}`);
  }
  const ra = (a['required'] ?? []) as string[];
  const rb = new Set((b['required'] ?? []) as string[]);
  const required = ra.filter((r) => rb.has(r));
  const { required: _ra, properties: _pa, ...rest } = a;
  return {
    ...rest,
    ...(Object.keys(props).length > 0 ? { properties: props } : {}),
    ...(required.length > 0 ? { required } : {}),
  };
}

function mergeField(a: JsonSchema, b: JsonSchema, at: string): JsonSchema {
  if (sameJson(a, b)) return a;
  if (a['type'] === 'object' && b['type'] === 'object') return mergeObjects(a, b, at);
  const { enum: ea, ...ra } = a;
  const { enum: eb, ...rb } = b;
  if (Array.isArray(ea) && Array.isArray(eb) && sameJson(ra, rb)) {
    return { ...ra, enum: [...new Set([...(ea as unknown[]), ...(eb as unknown[])])] };
  }
  return fail(at, 'union variants declare this field differently');
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
