import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePrometheusText } from '../../../test/helpers/prom-text.js';
import { PrometheusMetrics } from './prometheus.js';

// docs/alerts.yaml and docs/grafana-dashboard.json query metrics by name; a renamed or removed series would
// leave an alert that never fires and a panel that stays empty. Every name they use must be exposed.

const DOCS = join(import.meta.dirname, '../../../docs');

async function exposedNames(): Promise<Set<string>> {
  const m = new PrometheusMetrics({
    queueStats: () =>
      Promise.resolve([{ runtime: 'local', queued: 1, oldestCreatedAt: new Date().toISOString() }]),
    runtimes: () => ['local'],
  });
  m.reportAccepted('local');
  m.reportFinished('local', 'failed', 'throttled');
  m.enrichmentStep('manifest', 1);
  m.remoteCall('ecr', 'DescribeImagesCommand', 'ok', 1);
  m.tokenCache('ecr-authorization', 'hit');
  m.configSynced(true);
  m.httpRequest('GET', '/api/v1/images', 200, 0.1);
  const names = new Set<string>();
  for (const f of parsePrometheusText((await m.exposition()).body).values())
    for (const s of f.samples) names.add(s.name);
  return names;
}

function usedNames(expr: string): string[] {
  return [...expr.matchAll(/\bimagetrail_[a-z_]+/g)].map((x) => x[0]);
}

function balanced(expr: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const ch of expr.replace(/"[^"]*"/g, '""')) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0;
}

interface Rule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

describe('the metrics docs', () => {
  it('alerts.yaml: well-formed rule groups, each rule on exposed series with a severity and a summary', async () => {
    const names = await exposedNames();
    const doc = parse(readFileSync(join(DOCS, 'alerts.yaml'), 'utf8')) as { groups: { rules: Rule[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(5);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(balanced(r.expr), r.expr).toBe(true);
      expect(usedNames(r.expr).length, r.alert).toBeGreaterThan(0);
      for (const n of usedNames(r.expr)) expect(names, `${r.alert} uses ${n}`).toContain(n);
      expect(['info', 'warning', 'critical']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toBeTruthy();
    }
  });

  it('grafana-dashboard.json: every panel query and variable uses exposed series', async () => {
    const names = await exposedNames();
    const dash = JSON.parse(readFileSync(join(DOCS, 'grafana-dashboard.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { definition?: string }[] };
    };
    const exprs = [
      ...dash.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...dash.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
    ];
    expect(dash.panels.length).toBeGreaterThanOrEqual(8);
    for (const e of exprs) {
      expect(balanced(e), e).toBe(true);
      for (const n of usedNames(e)) expect(names, `the dashboard uses ${n}`).toContain(n);
    }
    // Every exposed family is shown somewhere.
    const shown = new Set(exprs.flatMap(usedNames).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
    for (const n of names)
      expect(shown, `${n} is on no panel`).toContain(n.replace(/_(bucket|count|sum)$/, ''));
  });
});
