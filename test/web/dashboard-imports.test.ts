import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOWED_OUTSIDE } from '../helpers/dashboard-bundle.js';
import { ROOT } from '../helpers/imagetrail.js';

// What the dashboard bundles, read from its sources: every module reachable from web/src/main.tsx through
// value imports (type-only imports are erased) and dynamic `import()`s (each page is a chunk of its own, so
// every chunk is walked). Issue 10: the dashboard pulled the server's config-repo schemas (and with them
// re2js) into its bundle, and app.tsx and the integration form imported each other.
// test/web/dashboard-bundle.test.ts checks the same on the built chunks.

function valueImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\b(?:import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+'([^']+)'/g)) {
    if (!m[1]) out.push(m[2] as string);
  }
  for (const m of text.matchAll(/\bimport\s+'([^']+)'/g)) out.push(m[1] as string);
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) out.push(m[1] as string);
  return out;
}

function resolveModule(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined; // a package
  const base = resolve(dirname(from), spec).replace(/\.js$/, '');
  return ['.ts', '.tsx', ''].map((ext) => base + ext).find((p) => existsSync(p) && !p.endsWith('.css'));
}

/** The reachable modules, each with the modules it imports (as paths relative to the repository). */
function graph(entry: string): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  const todo = [resolve(ROOT, entry)];
  while (todo.length) {
    const file = todo.pop() as string;
    const rel = relative(ROOT, file);
    if (edges.has(rel)) continue;
    const specs = valueImports(readFileSync(file, 'utf8'));
    const targets = specs.map((s) => (s.startsWith('.') ? resolveModule(file, s) : s));
    edges.set(
      rel,
      targets
        .filter((t): t is string => t !== undefined)
        .map((t) => (t.startsWith('/') ? relative(ROOT, t) : t)),
    );
    for (const t of targets) if (t?.startsWith('/')) todo.push(t);
  }
  return edges;
}

function findCycle(edges: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of edges.get(n) ?? []) {
      const c = edges.has(m) ? visit(m) : undefined;
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of edges.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

describe('the dashboard bundle', () => {
  const edges = graph('web/src/main.tsx');
  const files = [...edges.keys()];

  it('reaches the integration form (the walk follows the imports)', () => {
    expect(files).toContain('web/src/pages/integration-form/form.tsx');
    expect(files).toContain('src/contract/integrations.ts');
  });

  it('reaches every page, the lazily loaded ones through their import()', () => {
    const pages = readdirSync(resolve(ROOT, 'web/src/pages')).filter((f) => f.endsWith('.tsx'));
    expect(pages.length).toBeGreaterThan(5);
    for (const p of pages) expect(files).toContain(`web/src/pages/${p}`);
  });

  it('bundles no server code outside the shared contract: no config-repo, no node: modules', () => {
    const outside = files.filter((f) => !f.startsWith('web/src/'));
    expect(outside.filter((f) => !ALLOWED_OUTSIDE.some((re) => re.test(f)))).toEqual([]);
    const packages = new Set(
      [...edges.values()].flat().filter((t) => !t.includes('/') || !t.startsWith('web/')),
    );
    expect([...packages].filter((p) => p.startsWith('node:') || p === 're2js')).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(findCycle(edges)).toBeUndefined();
  });
});

describe('the shared contract', () => {
  it('imports only zod and the domain’s browser-safe formats', () => {
    const edges = graph('src/contract/integrations.ts');
    for (const [file, targets] of edges) {
      expect(
        ALLOWED_OUTSIDE.some((re) => re.test(file)),
        file,
      ).toBe(true);
      for (const t of targets)
        expect(t === 'zod' || ALLOWED_OUTSIDE.some((re) => re.test(t)), `${file} → ${t}`).toBe(true);
    }
  });
});
