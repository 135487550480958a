import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// influxd 2.9.1 crashes when a bucket is deleted while a query, even one its
// client has cancelled, still reads it (docs/influxdb.md, "A crash of
// influxd"). The suites and benchmarks share one influxd, so none of them
// may delete a bucket; bench/influx/delete-race.ts does it on purpose, on an
// influxd of its own only.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DELETES_A_BUCKET = /['"`]DELETE['"`][^;\n]*\/api\/v2\/buckets|deleteBucketsID|deleteBucket\s*\(/;
const ON_PURPOSE = 'bench/influx/delete-race.ts';
const SELF = 'test/influxdb/no-bucket-delete.test.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'generated' ? [] : files(path);
    return /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

it('no source, test or benchmark deletes an InfluxDB bucket, except the crash probe on its own server', () => {
  const offenders = ['src', 'test', 'bench']
    .flatMap((d) => files(join(root, d)))
    .map((f) => relative(root, f))
    .filter((f) => f !== ON_PURPOSE && f !== SELF && DELETES_A_BUCKET.test(readFileSync(join(root, f), 'utf8')));
  expect(offenders).toEqual([]);
  const probe = readFileSync(join(root, ON_PURPOSE), 'utf8');
  expect(DELETES_A_BUCKET.test(probe)).toBe(true);
  expect(probe).toContain('OwnInfluxd.start(');
  expect(probe).not.toMatch(/influxdb\.env|INFLUX_URL/);
});
