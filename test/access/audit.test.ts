import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, accessGateway, basic, bearer, callWay, graphql, tokensEnv, tokensFiles, type AccessGateway } from './support.js';

describe('audit: mutations, replays and refusals are logged with the caller, never a credential', () => {
  let gw: AccessGateway;
  beforeAll(async () => {
    gw = await accessGateway({ ...tokensEnv, RATE_LIMIT: '50', LOG_LEVEL: 'debug' }, { files: tokensFiles, logLevel: 'debug' });
  });
  afterAll(async () => {
    await gw.cleanup();
  });
  const audit = (kind: string) => gw.logs().filter((l) => l['audit'] === kind);

  it('logs every mutation and replay with the caller name and the outcome', async () => {
    await graphql(gw.app, `mutation Put { upsertUve(type: "virtual-network", name: "vn-1", document: {S: {x: 1}}) { name } }`, bearer(TOKENS.shipper));
    await graphql(gw.app, `mutation { deleteUve(type: "virtual-network", name: "vn-1") }`, basic('ops', TOKENS.admin));
    await graphql(gw.app, `mutation { replayDeadLetters(ids: ["nope"]) { accepted rejected } }`, bearer(TOKENS.admin));
    await graphql(gw.app, `mutation { ingestSessions(records: []) { accepted } }`, bearer(TOKENS.shipper));
    expect(audit('mutation').map((l) => [l['caller'], l['fields'], l['operationName']])).toEqual([
      ['fluentd', ['upsertUve'], 'Put'],
      ['ops', ['deleteUve'], null],
      ['ops', ['replayDeadLetters'], null],
      ['fluentd', ['ingestSessions'], null],
    ]);
    expect(audit('mutation').map((l) => l['errors'])).toEqual([[], [], ['BAD_USER_INPUT'], []]);
  });

  it('logs every refusal: who (when known), the code and the route', async () => {
    const before = audit('refused').length;
    await callWay(gw.app, '/ingest/sessions', {});
    await callWay(gw.app, 'query', bearer('tok-wrong'));
    await callWay(gw.app, '/ingest/uves', bearer(TOKENS.reader));
    await graphql(gw.app, '{ deadLetters { nodes { id } } }', bearer(TOKENS.reader));
    await graphql(gw.app, `{ ${Array.from({ length: 101 }, (_, i) => `a${i}: uveTypes`).join(' ')} }`, bearer(TOKENS.reader));
    expect(audit('refused').slice(before).map((l) => [l['caller'], l['code'], l['route']])).toEqual([
      [null, 'UNAUTHENTICATED', '/ingest/sessions'],
      [null, 'UNAUTHENTICATED', '/graphql'],
      ['dashboards', 'FORBIDDEN', '/ingest/uves'],
      ['dashboards', 'FORBIDDEN', '/graphql'],
      ['dashboards', 'QUERY_TOO_EXPENSIVE', '/graphql'],
    ]);
  });

  it('puts no token in a log line, an error or meta.query, even at debug with every way in tried', async () => {
    const answers: string[] = [];
    for (const t of Object.values(TOKENS)) {
      for (const way of ['query', 'mutation', '/ingest/sessions', '/ingest/uves'] as const) {
        answers.push((await callWay(gw.app, way, bearer(t))).body, (await callWay(gw.app, way, basic('user', t))).body);
      }
    }
    // A token sent where a value goes stays a value of the query, not a credential: still never logged as one.
    answers.push((await graphql(gw.app, `{ sessionTraffic(range: {last: "1h"}) { meta { query } } }`, bearer(TOKENS.reader))).body);
    const text = gw.logText() + answers.join('\n');
    for (const t of Object.values(TOKENS)) {
      expect(text).not.toContain(t);
      expect(text).not.toContain(Buffer.from(`user:${t}`).toString('base64'));
    }
    // No header is logged (Fastify's request log at debug has method, url, host and address only).
    expect(gw.logText()).not.toMatch(/"authorization"/i);
    expect(gw.logs().some((l) => l['msg'] === 'incoming request')).toBe(true);
    expect(answers.some((a) => a.includes('"query":"SELECT'))).toBe(true);
  });
});
