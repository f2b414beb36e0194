/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), written from the spec:
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 * It throws on anything the spec does not allow (a malformed line, a TYPE after samples, a family split
 * in two, a repeated series, a histogram whose buckets are not cumulative or lack +Inf = _count), so a
 * test that scrapes through it proves the exposition is valid, not just that some text came back.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const METRIC = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SAMPLE = new RegExp(`^(${METRIC})(?:\\{(.*)\\})?[ \\t]+(\\S+)(?:[ \\t]+(-?\\d+))?$`);
const LABEL_PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`);

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: Family | undefined;
  const seen = new Set<string>();
  const family = (name: string, lineNo: number): Family => {
    if (current?.name === name) return current;
    if (closed.has(name) || families.has(name))
      throw new Error(`line ${lineNo}: metric family ${name} is not contiguous`);
    if (current) closed.add(current.name);
    current = { name, type: 'untyped', samples: [] };
    families.set(name, current);
    return current;
  };
  text.split('\n').forEach((line, i) => {
    const n = i + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = new RegExp(`^#[ \\t]+(HELP|TYPE)[ \\t]+(${METRIC})(?:[ \\t]+(.*))?$`).exec(line);
      if (!m) return; // other comments are allowed
      const f = family(m[2]!, n);
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3] ?? '')) throw new Error(`line ${n}: unknown type ${m[3]}`);
        if (f.samples.length) throw new Error(`line ${n}: TYPE after samples of ${f.name}`);
        f.type = m[3] as Family['type'];
      } else {
        if (f.help !== undefined) throw new Error(`line ${n}: second HELP for ${f.name}`);
        if (/\\[^\\n]/.test((m[3] ?? '').replace(/\\\\/g, ''))) throw new Error(`line ${n}: bad HELP escape`);
        f.help = m[3] ?? '';
      }
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`line ${n}: not a sample: ${line}`);
    const [, name, rawLabels, rawValue] = m as unknown as [string, string, string | undefined, string];
    const labels = parseLabels(rawLabels ?? '', n);
    const value = parseValue(rawValue, n);
    const base = familyName(name, current);
    const f = family(base, n);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${n}: series ${key} appears twice`);
    seen.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** `x_bucket`, `x_sum`, `x_count` belong to family `x` when `x` is the histogram/summary being read. */
function familyName(sample: string, current: Family | undefined): string {
  if (current && (current.type === 'histogram' || current.type === 'summary')) {
    for (const suffix of ['_bucket', '_sum', '_count'])
      if (sample === current.name + suffix) return current.name;
  }
  return sample;
}

function parseLabels(raw: string, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = raw;
  while (rest !== '') {
    const m = LABEL_PAIR.exec(rest);
    if (!m) throw new Error(`line ${n}: malformed labels {${raw}}`);
    if (m[1]! in out) throw new Error(`line ${n}: label ${m[1]} twice`);
    out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (rest !== '') throw new Error(`line ${n}: expected "," between labels in {${raw}}`);
  }
  return out;
}

function parseValue(raw: string, n: number): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  if (raw === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) throw new Error(`line ${n}: bad value ${raw}`);
  return Number(raw);
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      entry.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name.endsWith('_count')) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    buckets.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < buckets.length; i++)
      if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${f.name}${key}: buckets not cumulative`);
    const inf = buckets.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (inf[1] !== count) throw new Error(`${f.name}${key}: +Inf bucket ${inf[1]} != _count ${count}`);
  }
}

/** The value of one series, or undefined. `labels` must match exactly the given labels (others ignored). */
export function valueOf(
  families: Map<string, Family>,
  sample: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families.values())
    for (const s of f.samples)
      if (s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
  return undefined;
}

/** The sum over every series of `sample` whose labels include `labels`. */
export function sumOf(families: Map<string, Family>, sample: string, labels: Record<string, string> = {}) {
  let total = 0;
  for (const f of families.values())
    for (const s of f.samples)
      if (s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) total += s.value;
  return total;
}
