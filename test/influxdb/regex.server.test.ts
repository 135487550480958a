import { RE2JS } from 're2js';
import { expect, it } from 'vitest';
import { fluxRegex, fluxString } from '../../src/stores/influxdb/flux.js';
import { describeWithInflux, findInflux, testHttp } from './server.js';

const server = await findInflux();

/**
 * RE2 patterns that Flux's own check (Rust's regex syntax, in libflux)
 * refuses or reads otherwise when sent as written. Each is sent as
 * fluxRegex writes it and must select exactly what RE2 selects.
 */
const PATTERNS = [
  '\\Qa.b\\E',
  '^\\Q/\\E',
  '\\Qa+\\E+$',
  '\\101',
  '^\\001$',
  '[\\d-z]',
  '[\\w-.]',
  '[[:alpha:]-z]',
  '[a&&b]',
  '[a~~b]',
  '[a[b]',
  '[]a]',
  '[^]a]',
  'a{,3}',
  'a{',
  '^{',
  'x{2}',
  'a/b',
  '\\x2e',
  '\\pL+$',
  '[\\p{Greek}-]',
];

const SAMPLES = ['a.b', 'axb', '&', '~', '-', '{', 'a{', 'a{,3}', 'A', '5', 'z', '/', ']', '[', '\u0001', 'xx', 'aa+', 'b', ':', 'λ', '.'];

describeWithInflux('regex filters as influxd reads them', server, () => {
  it.each(PATTERNS.map((p) => [p]))('selects with %j what RE2 selects', async (pattern) => {
    const flux = `import "array"
array.from(rows: [${SAMPLES.map((s) => `{v: ${fluxString(s)}}`).join(', ')}])
  |> filter(fn: (r) => r.v =~ ${fluxRegex(pattern)})`;
    const rows = (await testHttp(server).query(server.org, flux)).get('_result') ?? [];
    const re = RE2JS.compile(pattern);
    const expected = SAMPLES.filter((s) => re.matcher(s).find());
    expect(rows.map((r) => r['v']).join('|')).toEqual(expected.join('|'));
  });
});
