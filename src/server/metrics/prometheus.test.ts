import { Hono } from 'hono';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sumOf, valueOf } from '../../../test/helpers/prom-text.js';
import { FakeReportStore } from '../../store/fake-report-store.js';
import { FakeTokenStore } from '../../store/fake-token-store.js';
import { errorHandler } from '../error-handler.js';
import { Redactor } from '../../logging/redactor.js';
import { createLogger } from '../../logging/logger.js';
import { httpMetrics, metricsRoute } from './http.js';
import { PrometheusMetrics } from './prometheus.js';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.0';

async function scrape(m: PrometheusMetrics) {
  const { body, contentType } = await m.exposition();
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  // Two independent readers: our strict one (throws on any spec violation) and the npm package.
  expect(parsePrometheusTextFormat(body).length).toBeGreaterThan(0);
  return { body, families: parsePrometheusText(body) };
}

describe('PrometheusMetrics', () => {
  it('keeps one registry per instance: two servers in one process never share series', async () => {
    const a = new PrometheusMetrics();
    const b = new PrometheusMetrics();
    a.reportAccepted('local');
    a.reportAccepted('local');
    b.reportAccepted('edge');
    const sa = await scrape(a);
    const sb = await scrape(b);
    expect(valueOf(sa.families, 'imagetrail_reports_accepted_total', { runtime: 'local' })).toBe(2);
    expect(valueOf(sa.families, 'imagetrail_reports_accepted_total', { runtime: 'edge' })).toBeUndefined();
    expect(valueOf(sb.families, 'imagetrail_reports_accepted_total', { runtime: 'edge' })).toBe(1);
    expect(valueOf(sb.families, 'imagetrail_reports_accepted_total', { runtime: 'local' })).toBeUndefined();
  });

  it('counts outcomes by runtime and reason class, steps, remote calls and token cache use', async () => {
    const m = new PrometheusMetrics();
    m.reportFinished('local', 'succeeded');
    m.reportFinished('local', 'failed', 'permission-missing');
    m.reportFinished('local', 'retrying', 'throttled');
    m.enrichmentStep('manifest', 0.2);
    m.enrichmentStep('manifest', 3);
    m.remoteCall('ecr', 'DescribeImagesCommand', 'ok', 0.05);
    m.remoteCall('ecr', 'DescribeImagesCommand', 'AccessDeniedException', 0.05);
    m.tokenCache('ecr-authorization', 'miss');
    m.tokenCache('ecr-authorization', 'hit');
    m.tokenCache('ecr-authorization', 'hit');
    const { families } = await scrape(m);
    const runs = 'imagetrail_report_runs_total';
    expect(valueOf(families, runs, { outcome: 'succeeded', reason_class: 'none' })).toBe(1);
    expect(valueOf(families, runs, { outcome: 'failed', reason_class: 'permission-missing' })).toBe(1);
    expect(valueOf(families, runs, { outcome: 'retrying', reason_class: 'throttled' })).toBe(1);
    const steps = 'imagetrail_enrichment_step_duration_seconds';
    expect(valueOf(families, `${steps}_count`, { step: 'manifest' })).toBe(2);
    expect(valueOf(families, `${steps}_bucket`, { step: 'manifest', le: '0.25' })).toBe(1);
    expect(
      valueOf(families, 'imagetrail_remote_calls_total', {
        service: 'ecr',
        outcome: 'AccessDeniedException',
      }),
    ).toBe(1);
    expect(sumOf(families, 'imagetrail_remote_call_duration_seconds_count', { service: 'ecr' })).toBe(2);
    expect(valueOf(families, 'imagetrail_token_cache_requests_total', { result: 'hit' })).toBe(2);
    expect(valueOf(families, 'imagetrail_token_cache_requests_total', { result: 'miss' })).toBe(1);
  });

  it('never lets free text into a label: anything not name-shaped becomes "other"', async () => {
    const m = new PrometheusMetrics();
    m.reportFinished('local', 'failed', `manifest ${IMAGE} not found`);
    m.enrichmentStep(IMAGE, 1);
    m.remoteCall('registry', 'GET https://x/v2/team/app/manifests/1.0', 'ok', 1);
    m.httpRequest('BREW', '/api/v1/images/:id', 418, 0.1);
    const { body, families } = await scrape(m);
    expect(body).not.toContain('team/app');
    expect(valueOf(families, 'imagetrail_report_runs_total', { reason_class: 'other' })).toBe(1);
    expect(valueOf(families, 'imagetrail_enrichment_step_duration_seconds_count', { step: 'other' })).toBe(1);
    expect(valueOf(families, 'imagetrail_remote_calls_total', { operation: 'other' })).toBe(1);
    expect(valueOf(families, 'imagetrail_http_request_duration_seconds_count', { method: 'OTHER' })).toBe(1);
  });

  it('reads queue depth and the oldest waiting report per runtime from the job table at scrape time', async () => {
    const reports = new FakeReportStore();
    await reports.enqueue({ image: IMAGE }, { runtime: 'local' });
    await reports.enqueue({ image: IMAGE }, { runtime: 'local' });
    await reports.enqueue({ image: IMAGE }, { runtime: 'edge' });
    const [oldest] = (await reports.queueStats()).filter((s) => s.runtime === 'local');
    const now = Date.parse(oldest!.oldestCreatedAt) + 90_000;
    const m = new PrometheusMetrics({
      queueStats: () => reports.queueStats(),
      runtimes: () => ['local', 'edge', 'idle'],
      now: () => now,
    });
    const { families } = await scrape(m);
    expect(valueOf(families, 'imagetrail_report_queue_depth', { runtime: 'local' })).toBe(2);
    expect(valueOf(families, 'imagetrail_report_queue_depth', { runtime: 'edge' })).toBe(1);
    expect(valueOf(families, 'imagetrail_report_queue_depth', { runtime: 'idle' })).toBe(0);
    expect(valueOf(families, 'imagetrail_report_oldest_queued_age_seconds', { runtime: 'local' })).toBe(90);
    // A claimed report is no longer waiting.
    await reports.claim({ owner: 'w', leaseMs: 60_000 });
    await reports.claim({ owner: 'w', leaseMs: 60_000 });
    const after = (await scrape(m)).families;
    expect(sumOf(after, 'imagetrail_report_queue_depth')).toBe(1);
  });

  it('reports config sync age from the last successful pull, and counts failed pulls', async () => {
    let now = 1_000_000;
    const m = new PrometheusMetrics({ now: () => now });
    now += 5_000;
    // Never synced: stale since the server started, so an alert on the age fires for a server that cannot pull.
    expect(valueOf((await scrape(m)).families, 'imagetrail_config_sync_age_seconds')).toBe(5);
    m.configSynced(true, now);
    now += 30_000;
    m.configSynced(false);
    m.configSynced(false);
    const { families } = await scrape(m);
    expect(valueOf(families, 'imagetrail_config_sync_age_seconds')).toBe(30);
    expect(valueOf(families, 'imagetrail_config_sync_errors_total')).toBe(2);
  });
});

describe('GET /metrics and request timing', () => {
  async function app() {
    const metrics = new PrometheusMetrics();
    const tokens = new FakeTokenStore();
    const redactor = new Redactor();
    const a = new Hono();
    a.onError(errorHandler({ logger: createLogger(redactor, { level: 'silent' }), redactor }));
    a.use('*', httpMetrics(metrics));
    a.get('/api/v1/images/:id', (c) => c.json({ id: c.req.param('id') }));
    a.route('/metrics', metricsRoute(metrics, tokens));
    const token = async (scope: 'metrics' | 'admin' | 'report') =>
      (await tokens.create({ name: scope, scopes: [scope] })).token;
    return { a, token };
  }
  const get = (a: Hono, path: string, token?: string) =>
    a.request(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('needs a token with the metrics (or admin) scope', async () => {
    const { a, token } = await app();
    expect((await get(a, '/metrics')).status).toBe(401);
    const report = await get(a, '/metrics', await token('report'));
    expect(report.status).toBe(403);
    expect(((await report.json()) as { error: { message: string } }).error.message).toContain('"metrics"');
    expect((await get(a, '/metrics', await token('metrics'))).status).toBe(200);
    expect((await get(a, '/metrics', await token('admin'))).status).toBe(200);
  });

  it('labels requests by route pattern, never by the raw path', async () => {
    const { a, token } = await app();
    const t = await token('metrics');
    await get(a, '/api/v1/images/img_secret-ish-id-1');
    await get(a, '/api/v1/images/img_2');
    await get(a, '/no/such/path');
    const res = await get(a, '/metrics', t);
    const body = await res.text();
    const families = parsePrometheusText(body);
    const count = 'imagetrail_http_request_duration_seconds_count';
    expect(valueOf(families, count, { route: '/api/v1/images/:id', status_class: '2xx' })).toBe(2);
    expect(valueOf(families, count, { route: '*', status_class: '4xx' })).toBe(1);
    expect(body).not.toContain('img_secret-ish-id-1');
    expect(body).not.toContain('/no/such/path');
    expect(body).not.toContain(t);
  });
});

describe('the strict exposition reader used by these tests', () => {
  it('refuses what the text format forbids, so passing it means something', () => {
    const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
    expect(valueOf(parsePrometheusText(ok), 'a_total', { x: '1' })).toBe(2);
    const bad = [
      'a_total{x=1} 2', // unquoted label value
      'a_total{x="1"} two', // not a number
      '# TYPE a counter\na 1\n# TYPE a counter', // TYPE after samples
      'a 1\nb 1\na 2', // a family split in two
      'a{x="1"} 1\na{x="1"} 2', // the same series twice
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1', // not cumulative
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1', // no +Inf bucket
      '1a 1', // bad metric name
    ];
    for (const text of bad) expect(() => parsePrometheusText(text), text).toThrow();
  });
});
