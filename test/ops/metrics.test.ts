import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/server/metrics.js';
import { flat, ingestGateway, ndjson, post, type IngestGateway } from '../ingest/support.js';

/** The value of one series in exposition text, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics (prom-client)', () => {
  let gw: IngestGateway | undefined;
  afterEach(async () => {
    await gw?.cleanup();
    gw = undefined;
  });

  it('keeps the names of before and adds process, event loop, in-flight, dead letters written, store calls and forward connections', async () => {
    gw = await ingestGateway();
    const ok = await post(gw.app, ndjson([flat(), flat(), flat({ vn: '' })]), { 'content-type': 'application/x-ndjson' });
    expect(ok.json()).toMatchObject({ accepted: 2, rejected: 1 });
    const res = await gw.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(sample(text, 'sag_http_responses_total{route="/ingest/sessions",status="200"}')).toBe(1);
    expect(sample(text, 'sag_dead_letters_dropped_total{reason="max_bytes"}')).toBe(0);
    expect(sample(text, 'sag_dead_letters_dropped_total{reason="max_age"}')).toBe(0);
    expect(sample(text, 'sag_dead_letters_written_total{source="http:/ingest/sessions"}')).toBe(1);
    expect(sample(text, 'sag_store_call_seconds_count{backend="duckdb",operation="write",outcome="ok"}')).toBe(1);
    // Nothing is in flight once the answer is sent; the limits are the defaults.
    expect(sample(text, 'sag_ingest_inflight_records')).toBe(0);
    expect(sample(text, 'sag_ingest_inflight_bytes')).toBe(0);
    expect(sample(text, 'sag_ingest_inflight_max_records')).toBeGreaterThan(0);
    expect(sample(text, 'sag_forward_connections')).toBe(0);
    expect(sample(text, 'sag_forward_connections_opened_total')).toBe(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('reads the in-flight budget at scrape time; store calls by outcome; forward connections open and opened', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const budget = { inFlight: { records: 7, bytes: 4096 }, maxRecords: 10, maxBytes: 8192 };
    m.watchInflight(budget);
    m.observeStoreCall('influxdb', 'write', 'error', 0.2);
    m.forwardConnectionOpened();
    m.forwardConnectionOpened();
    m.forwardConnectionClosed('eof');
    const text = await m.render();
    expect(sample(text, 'sag_ingest_inflight_records')).toBe(7);
    expect(sample(text, 'sag_ingest_inflight_bytes')).toBe(4096);
    expect(sample(text, 'sag_store_call_seconds_count{backend="influxdb",operation="write",outcome="error"}')).toBe(1);
    expect(sample(text, 'sag_store_call_seconds_bucket{le="0.25",backend="influxdb",operation="write",outcome="error"}')).toBe(1);
    expect(sample(text, 'sag_forward_connections')).toBe(1);
    expect(sample(text, 'sag_forward_connections_opened_total')).toBe(2);
    expect(text).not.toMatch(/^process_/m);
  });

  it('keeps counting across scrapes (counts move into prom-client at each scrape)', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.countHttp('/graphql', 200);
    m.countError('BAD_USER_INPUT');
    expect(sample(await m.render(), 'sag_http_responses_total{route="/graphql",status="200"}')).toBe(1);
    m.countHttp('/graphql', 200);
    m.countHttp('/graphql', 200);
    const text = await m.render();
    expect(sample(text, 'sag_http_responses_total{route="/graphql",status="200"}')).toBe(3);
    expect(sample(text, 'sag_graphql_errors_total{code="BAD_USER_INPUT"}')).toBe(1);
    // Two registries in one process do not share series.
    expect(sample(await new Metrics({ defaultMetrics: false }).render(), 'sag_http_responses_total{route="/graphql",status="200"}')).toBeUndefined();
  });
});
