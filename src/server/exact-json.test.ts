import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { exactJsonBodies, hasLongDigitRun } from './exact-json.js';

describe('exact JSON request bodies', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  /** What the route sees of a body: its value, with bigints marked so they survive the answer. */
  async function seen(payload: string): Promise<{ status: number; body: unknown }> {
    const app = Fastify();
    apps.push(app);
    exactJsonBodies(app);
    app.post('/graphql', async (req) => JSON.stringify(req.body, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload });
    return { status: res.statusCode, body: res.statusCode === 200 ? JSON.parse(res.body) : res.json() };
  }

  it('reads an integer a double cannot hold as a bigint, anything else as JSON.parse does', async () => {
    const text = '{"variables":{"a":9007199254740993,"b":-18446744073709551616,"c":9007199254740991,"d":1.0000000000000002,"s":"12345678901234567890"}}';
    expect(await seen(text)).toEqual({
      status: 200,
      body: { variables: { a: '9007199254740993n', b: '-18446744073709551616n', c: 9007199254740991, d: 1.0000000000000002, s: '12345678901234567890' } },
    });
    expect(await seen('[{"x":12345678901234567890}]')).toEqual({ status: 200, body: [{ x: '12345678901234567890n' }] });
  });

  it('keeps what JSON.parse reads where the exact parser would read otherwise', async () => {
    // A key given twice: JSON.parse keeps the last one.
    expect((await seen('{"a":1,"a":2,"b":9007199254740993}')).body).toEqual({ a: 2, b: 9007199254740992 });
    // Nesting past 256 levels.
    const deep = `{"b":9007199254740993,"d":${'['.repeat(300)}${']'.repeat(300)}}`;
    expect((await seen(deep)).body).toMatchObject({ b: 9007199254740992 });
  });

  it('still refuses what Fastify refuses: not JSON, an empty body, a __proto__ key', async () => {
    for (const body of ['{"a":', '', '{"__proto__":{"x":1},"n":9007199254740993}']) {
      expect((await seen(body)).status).toBe(400);
    }
  });

  it('finds a run of 16 digits wherever it starts, and never a shorter one', () => {
    for (let at = 0; at < 40; at++) {
      expect(hasLongDigitRun(`${'x'.repeat(at)}1234567890123456`)).toBe(true);
      expect(hasLongDigitRun(`${'x'.repeat(at)}1234567890123456x`)).toBe(true);
      expect(hasLongDigitRun(`${'x'.repeat(at)}123456789012345x${'y'.repeat(40)}`)).toBe(false);
    }
    expect(hasLongDigitRun('1.234567890123456')).toBe(false);
    expect(hasLongDigitRun('')).toBe(false);
  });
});
