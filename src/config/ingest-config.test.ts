import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

describe('parseConfig: ingest settings', () => {
  it('has the documented defaults', () => {
    const c = parseConfig({});
    expect(c.ingest).toEqual({
      maxBodyBytes: 16 * 1024 * 1024,
      maxRecords: 50_000,
      maxLabels: 64,
      maxInflightRecords: 60_000,
      maxInflightBytes: 48 * 1024 * 1024,
      retryAfterSeconds: 1,
      maxLabelNames: 256,
    });
    expect(c.deadLetterPath).toBe('data/dead-letter.ndjson');
    expect(c.deadLetterLimits).toEqual({ maxBytes: 256 * 1024 * 1024, segmentBytes: 16 * 1024 * 1024, maxAge: { ns: 7n * 86_400_000_000_000n, text: '7d' } });
    expect(c.duckdbMemoryLimit).toBeNull();
  });

  it('puts the dead-letter log beside the DuckDB file unless DEAD_LETTER_PATH says otherwise', () => {
    expect(parseConfig({ DUCKDB_PATH: '/var/lib/gateway/g.duckdb' }).deadLetterPath).toBe('/var/lib/gateway/dead-letter.ndjson');
    expect(parseConfig({ DEAD_LETTER_PATH: '/var/log/rejects.ndjson' }).deadLetterPath).toBe('/var/log/rejects.ndjson');
  });

  it('cuts the dead-letter log in sixteen segments of at most 16 MiB unless DEAD_LETTER_SEGMENT_BYTES says otherwise', () => {
    expect(parseConfig({ DEAD_LETTER_MAX_BYTES: '1048576' }).deadLetterLimits).toMatchObject({ maxBytes: 1048576, segmentBytes: 65536 });
    expect(parseConfig({ DEAD_LETTER_MAX_BYTES: String(2 ** 40) }).deadLetterLimits.segmentBytes).toBe(16 * 1024 * 1024);
    expect(parseConfig({ DEAD_LETTER_MAX_BYTES: '65536', DEAD_LETTER_SEGMENT_BYTES: '32768', DEAD_LETTER_MAX_AGE: '36h' }).deadLetterLimits).toEqual({
      maxBytes: 65536,
      segmentBytes: 32768,
      maxAge: { ns: 36n * 3_600_000_000_000n, text: '36h' },
    });
  });

  it('grows the in-flight budget to fit one full request', () => {
    const c = parseConfig({ INGEST_MAX_RECORDS: '200000', INGEST_MAX_BODY_BYTES: String(64 * 1024 * 1024) });
    expect([c.ingest.maxInflightRecords, c.ingest.maxInflightBytes]).toEqual([200_000, 64 * 1024 * 1024]);
    expect(parseConfig({ INGEST_RETRY_AFTER: '1m', DUCKDB_MEMORY_LIMIT: '256MB' })).toMatchObject({
      ingest: { retryAfterSeconds: 60 },
      duckdbMemoryLimit: '256MB',
    });
  });

  it('gives 16 label names per side a column of the embedded store unless DUCKDB_LABEL_COLUMNS says otherwise, from 0 to 1000', () => {
    expect(parseConfig({}).duckdbLabelColumns).toBe(16);
    expect(parseConfig({ DUCKDB_LABEL_COLUMNS: '0' }).duckdbLabelColumns).toBe(0);
    expect(parseConfig({ DUCKDB_LABEL_COLUMNS: '1000' }).duckdbLabelColumns).toBe(1000);
    expect(parseConfig({}).duckdbThreads).toBeNull();
    expect(parseConfig({ DUCKDB_THREADS: '0' }).duckdbThreads).toBeNull();
    expect(parseConfig({ DUCKDB_THREADS: '1' }).duckdbThreads).toBe(1);
    expect(() => parseConfig({ DUCKDB_THREADS: 'two' })).toThrow(/DUCKDB_THREADS/);
    expect(() => parseConfig({ DUCKDB_LABEL_COLUMNS: '1001' })).toThrow(ConfigError);
    expect(() => parseConfig({ DUCKDB_LABEL_COLUMNS: '-1' })).toThrow(/DUCKDB_LABEL_COLUMNS/);
  });

  it('checkpoints DuckDB at half its memory limit, between 16MB and 256MB, and at 256MB without a limit', () => {
    const threshold = (limit?: string) => parseConfig(limit === undefined ? {} : { DUCKDB_MEMORY_LIMIT: limit }).duckdbCheckpointThreshold;
    expect([threshold(), threshold('64MB'), threshold('16MB'), threshold('2GiB'), threshold('300 MiB'), threshold('512KB')]).toEqual([
      '256MB',
      '32MB',
      '16MB',
      '256MB',
      '150MB',
      '16MB',
    ]);
  });

  it.each([
    [{ INGEST_MAX_INFLIGHT_RECORDS: '10', INGEST_MAX_RECORDS: '20' }, 'INGEST_MAX_INFLIGHT_RECORDS'],
    [{ INGEST_MAX_INFLIGHT_BYTES: '2048', INGEST_MAX_BODY_BYTES: '4096' }, 'INGEST_MAX_INFLIGHT_BYTES'],
    [{ INGEST_MAX_INFLIGHT_BYTES: 'lots' }, 'INGEST_MAX_INFLIGHT_BYTES'],
    [{ INGEST_RETRY_AFTER: '500ms' }, 'INGEST_RETRY_AFTER'],
    [{ INGEST_RETRY_AFTER: 'soon' }, 'INGEST_RETRY_AFTER'],
    [{ DEAD_LETTER_PATH: ' ' }, 'DEAD_LETTER_PATH'],
    [{ DEAD_LETTER_MAX_BYTES: '256MiB' }, 'DEAD_LETTER_MAX_BYTES'],
    [{ DEAD_LETTER_MAX_BYTES: '1000' }, 'DEAD_LETTER_MAX_BYTES'],
    [{ DEAD_LETTER_MAX_BYTES: '65536', DEAD_LETTER_SEGMENT_BYTES: '32769' }, 'DEAD_LETTER_SEGMENT_BYTES'],
    [{ DEAD_LETTER_SEGMENT_BYTES: '100' }, 'DEAD_LETTER_SEGMENT_BYTES'],
    [{ DEAD_LETTER_MAX_AGE: '30m' }, 'DEAD_LETTER_MAX_AGE'],
    [{ DEAD_LETTER_MAX_AGE: 'forever' }, 'DEAD_LETTER_MAX_AGE'],
    [{ DUCKDB_MEMORY_LIMIT: 'half' }, 'DUCKDB_MEMORY_LIMIT'],
  ])('stops on %j naming %s', (env, name) => {
    let err: unknown;
    try {
      parseConfig(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
  });
});
