import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { issuePath } from '../domain/issue-path.js';
import type { z } from 'zod';
import { applicationWarnings, ArgoApplication } from './argo.js';
import { API_VERSION, Envelope, SealedValue } from './kinds/common.js';
import { ControlPlaneV1alpha1 } from './kinds/control-plane-v1alpha1.js';
import { IntegrationV1alpha1 } from './kinds/integration-v1alpha1.js';
import { RuntimeV1alpha1 } from './kinds/runtime-v1alpha1.js';
import { classifyPath, type PathRole } from './layout.js';

export type Severity = 'error' | 'warning';

export interface Problem {
  /** Path relative to the configuration root (the repository sub-path). */
  file: string;
  /** Dot path of the offending field (`spec.ecr.auth.roleArn`), or '' for the whole file. */
  path: string;
  message: string;
  severity: Severity;
}

export type Resource =
  | RuntimeV1alpha1
  | IntegrationV1alpha1
  | ControlPlaneV1alpha1
  /** Argo CD Applications in `runtimes/<r>/`, validated loosely. */
  | ArgoApplication;

export interface ValidationResult {
  resource?: Resource;
  problems: Problem[];
}

/** The imagetrail kinds, by `apiVersion` then `kind`. Adding a kind or version is one line here. */
const KINDS: Record<string, Record<string, z.ZodType<Resource>>> = {
  [API_VERSION]: {
    Runtime: RuntimeV1alpha1,
    Integration: IntegrationV1alpha1,
    ControlPlane: ControlPlaneV1alpha1,
  },
};

export const SUPPORTED_KINDS: readonly string[] = Object.entries(KINDS).flatMap(([v, ks]) =>
  Object.keys(ks).map((k) => `${v} ${k}`),
);

const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Validates one file of the configuration repository: YAML → envelope → kind → spec (zod) → rules
 * (location, name, sealed secrets). Returns every problem with a dot path; never throws, because one
 * bad file must not stop the others from loading.
 */
export function validateFile(relPath: string, text: string): ValidationResult {
  try {
    return validateUnsafe(relPath, text);
  } catch (err) {
    return {
      problems: [{ file: relPath, path: '', severity: 'error', message: `cannot validate: ${String(err)}` }],
    };
  }
}

const NO_DATA = Symbol('no data');

/** The one YAML document of a file, as plain data; NO_DATA when a problem was added instead. */
function parseOneDocument(
  text: string,
  role: ReturnType<typeof classifyPath>,
  add: (path: string, message: string, severity?: Severity) => void,
): unknown {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    for (const e of doc.errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      add('', `YAML syntax error at line ${pos.line}, column ${pos.col}: ${firstLine(e.message)}`);
    }
  }
  if (list.some((doc) => doc.errors.length > 0)) return NO_DATA;
  const nonEmpty = list.filter((d) => d.contents !== null);
  if (nonEmpty.length === 0) {
    add('', 'file is empty', role.role === 'outside' || role.role === 'layout-other' ? 'warning' : 'error');
    return NO_DATA;
  }
  if (nonEmpty.length > 1) {
    add('', `one resource per file: found ${nonEmpty.length} YAML documents`);
    return NO_DATA;
  }
  const converted = toData(nonEmpty[0]!);
  if ('problem' in converted) {
    add('', converted.problem);
    return NO_DATA;
  }
  return converted.data;
}

function validateUnsafe(file: string, text: string): ValidationResult {
  const problems: Problem[] = [];
  const add = (path: string, message: string, severity: Severity = 'error'): void => {
    problems.push({ file, path, message, severity });
  };
  const role = classifyPath(file);
  const isYaml = /\.ya?ml$/.test(file);

  if (!isYaml) {
    // README.md, .gitkeep and the like are fine anywhere; they are just not resources.
    return { problems };
  }
  if (file.endsWith('.yml') && role.role !== 'outside') {
    add('', 'imagetrail reads .yaml files only; rename this file to .yaml or it is ignored', 'warning');
    return { problems };
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
    add('', `file is larger than ${MAX_FILE_BYTES} bytes`);
    return { problems };
  }

  // --- parse
  const data = parseOneDocument(text, role, add);
  if (data === NO_DATA) return { problems };

  // --- envelope
  const env = Envelope.safeParse(data);
  if (!env.success) {
    for (const i of env.error.issues) add(issuePath(i.path), i.message);
    return { problems };
  }
  const { apiVersion, kind } = env.data;

  // --- foreign resources (Argo CD, Kubernetes) that share the folders
  // Own keys only: `kind: valueOf` must be an unknown kind, not Object.prototype.valueOf.
  const versions = Object.hasOwn(KINDS, apiVersion) ? KINDS[apiVersion] : undefined;
  if (!versions) {
    if (apiVersion.startsWith('imagetrail.dev/')) {
      add('apiVersion', `unsupported apiVersion ${apiVersion}; supported: ${Object.keys(KINDS).join(', ')}`);
      return { problems };
    }
    return validateForeign(file, role, data, apiVersion, kind, problems);
  }
  const schema = Object.hasOwn(versions, kind) ? versions[kind] : undefined;
  if (!schema) {
    add(
      'kind',
      `unknown kind ${kind} for ${apiVersion}; supported kinds: ${Object.keys(versions).join(', ')}`,
    );
    return { problems };
  }

  // --- keys zod would drop without a word (it skips __proto__ to avoid prototype pollution)
  for (const at of findProtoKeys(data, [])) {
    add(issuePath(at), 'the key __proto__ is not allowed: rename or remove it');
  }

  // --- secrets in clear: reported as such rather than as a bare type error
  const clear = findClearSecrets(schema, data, []);
  for (const p of clear) {
    add(
      issuePath(p),
      'secret stored in clear: this field must be a sealed value (set it through imagetrail so it is sealed with age), and the clear value should be treated as leaked and rotated',
    );
  }

  // --- spec
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const ip = i.path.map((s) => (typeof s === 'symbol' ? String(s) : s));
      if (clear.some((c) => startsWith(ip, c))) continue;
      add(issuePath(ip), issueMessage(i));
    }
  }

  // --- location and name rules (checked even when the spec is invalid: both are worth knowing)
  const name = env.data.metadata['name'];
  checkLocation(kind, role, typeof name === 'string' ? name : undefined, add);

  const ok = parsed.success && !problems.some((p) => p.severity === 'error');
  return ok ? { resource: parsed.data, problems } : { problems };
}

const MAX_ALIAS_COUNT = 100;

/** YAML → plain data. The yaml library throws on alias problems, which are the author's to fix. */
function toData(doc: Document.Parsed): { data: unknown } | { problem: string } {
  try {
    const data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
    if (isCyclic(data, new Set())) {
      return {
        problem:
          'YAML alias refers to the value that holds it (a cycle): a resource must be a tree; write the value out',
      };
    }
    return { data };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/excessive alias count/i.test(message)) {
      return {
        problem: `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} uses of anchors): write the values out instead of nesting aliases`,
      };
    }
    const unresolved = /unresolved alias[^:]*:\s*(.*)$/i.exec(message);
    if (unresolved) {
      return {
        problem: `YAML alias *${unresolved[1]} has no anchor &${unresolved[1]} before it: define the anchor first or write the value out`,
      };
    }
    return { problem: `YAML cannot be read: ${firstLine(message)}` };
  }
}

function validateForeign(
  file: string,
  role: PathRole,
  data: unknown,
  apiVersion: string,
  kind: string,
  problems: Problem[],
): ValidationResult {
  const add = (path: string, message: string, severity: Severity = 'error'): void => {
    problems.push({ file, path, message, severity });
  };
  if (apiVersion === 'argoproj.io/v1alpha1' && kind === 'Application') {
    const r = ArgoApplication.safeParse(data);
    if (!r.success) {
      for (const i of r.error.issues) add(issuePath(i.path), i.message);
      return { problems };
    }
    if (role.role !== 'in-cluster' && role.role !== 'runtime-other') {
      add(
        '',
        'Argo CD Applications belong in runtimes/<runtime>/ (in-cluster.yaml); this one is not read',
        'warning',
      );
    }
    for (const w of applicationWarnings(r.data)) add(w.path, w.message, 'warning');
    return { resource: r.data, problems };
  }
  if (
    role.role === 'runtime' ||
    role.role === 'integration' ||
    role.role === 'control-plane' ||
    role.role === 'in-cluster'
  ) {
    const expected =
      role.role === 'runtime'
        ? 'Runtime'
        : role.role === 'integration'
          ? 'Integration'
          : role.role === 'control-plane'
            ? 'ControlPlane'
            : 'argoproj.io/v1alpha1 Application';
    add(
      'kind',
      `${apiVersion} ${kind} is not an imagetrail resource; this path holds a ${expected} (supported: ${SUPPORTED_KINDS.join(', ')})`,
      role.role === 'integration' ? 'warning' : 'error',
    );
  }
  // Other manifests (ConfigMaps, SealedSecrets, …) may share these folders for Argo CD to sync.
  return { problems };
}

function checkLocation(
  kind: string,
  role: PathRole,
  name: string | undefined,
  add: (path: string, message: string, severity?: Severity) => void,
): void {
  switch (kind) {
    case 'Runtime':
      if (role.role !== 'runtime') {
        add('kind', 'a Runtime must be at runtimes/<name>/runtime.yaml');
      } else if (name !== undefined && name !== role.runtime) {
        add(
          'metadata.name',
          `must equal the folder name "${role.runtime}" (runtimes/${role.runtime}/runtime.yaml)`,
        );
      }
      return;
    case 'Integration':
      if (role.role !== 'integration') {
        add(
          'kind',
          'an Integration must be at resources/all-runtimes-all-clusters/<name>.yaml (all runtimes) or resources/runtimes/<runtime>/<name>.yaml (one runtime)',
        );
      } else if (name !== undefined && name !== role.name) {
        add('metadata.name', `must equal the file name "${role.name}" (${role.name}.yaml)`);
      }
      return;
    case 'ControlPlane':
      if (role.role !== 'control-plane')
        add('kind', 'a ControlPlane must be at resources/control-planes/control-plane.yaml');
      return;
  }
}

// ---- helpers

interface ZodInternals {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, unknown>;
      innerType?: unknown;
      options?: unknown[];
      element?: unknown;
      in?: unknown;
    };
  };
}

/**
 * Paths where the schema expects a SealedValue but the data holds a plain string. Walks the schema
 * alongside the data; for unions every object option is tried, so a clear-text secret is found even
 * when a sibling field (the wrong `mode`) would make zod report something else.
 */
function isCyclic(data: unknown, ancestors: Set<object>): boolean {
  if (typeof data !== 'object' || data === null) return false;
  if (ancestors.has(data)) return true;
  ancestors.add(data);
  for (const v of Object.values(data)) if (isCyclic(v, ancestors)) return true;
  ancestors.delete(data);
  return false;
}

function findProtoKeys(data: unknown, at: PropertyKey[]): PropertyKey[][] {
  if (typeof data !== 'object' || data === null) return [];
  const out: PropertyKey[][] = [];
  for (const [k, v] of Object.entries(data)) {
    if (k === '__proto__') out.push([...at, k]);
    else out.push(...findProtoKeys(v, [...at, k]));
  }
  return out;
}

function findClearSecrets(schema: unknown, data: unknown, at: PropertyKey[]): PropertyKey[][] {
  if (schema === SealedValue) {
    return typeof data === 'string' || typeof data === 'number' ? [at] : [];
  }
  const def = (schema as Partial<ZodInternals>)?._zod?.def;
  if (!def) return [];
  switch (def.type) {
    case 'object': {
      if (!data || typeof data !== 'object' || Array.isArray(data)) return [];
      const out: PropertyKey[][] = [];
      for (const [k, s] of Object.entries(def.shape ?? {})) {
        if (k in data) out.push(...findClearSecrets(s, (data as Record<string, unknown>)[k], [...at, k]));
      }
      return out;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return findClearSecrets(def.innerType, data, at);
    case 'pipe':
      return findClearSecrets(def.in, data, at);
    case 'array':
      return Array.isArray(data) ? data.flatMap((d, i) => findClearSecrets(def.element, d, [...at, i])) : [];
    case 'union': {
      const seen = new Set<string>();
      const out: PropertyKey[][] = [];
      for (const o of def.options ?? []) {
        for (const p of findClearSecrets(o, data, at)) {
          const key = p.map(String).join('\u0000');
          if (!seen.has(key)) {
            seen.add(key);
            out.push(p);
          }
        }
      }
      return out;
    }
    default:
      return [];
  }
}

function startsWith(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}

function issueMessage(i: z.core.$ZodIssue): string {
  // zod's union message lists the valid discriminators; keep it but make it read as a sentence.
  if (i.code === 'invalid_union' && 'options' in i && Array.isArray(i.options)) {
    return `must be one of ${(i.options as unknown[]).map((o) => JSON.stringify(o)).join(', ')}`;
  }
  if (i.code === 'unrecognized_keys') return `unknown field(s): ${i.keys.join(', ')}`;
  // A record's bad key: zod says only "Invalid key in record"; the key schema's own message says why.
  if (i.code === 'invalid_key' && i.issues[0]) return `key ${i.issues[0].message}`;
  return i.message;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
