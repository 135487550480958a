import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RANGE, TOKENS, accessGateway, bearer, flat, graphql, tokensEnv, tokensFiles, type AccessGateway } from './support.js';

const OTHER = { vn: 'default-domain:k8s-other:net', remote_vn: 'default-domain:k8s-billing:net' };

/** The authenticator's namespaces reach the stores (tenancy, issue 12 part 3) on every way in. */
describe('a caller limited to namespaces, authenticated by token', () => {
  let gw: AccessGateway;
  beforeAll(async () => {
    gw = await accessGateway(tokensEnv, { files: tokensFiles });
  });
  afterAll(async () => {
    await gw.cleanup();
  });
  const ingest = (url: string, token: string, body: unknown) =>
    gw.app.inject({ method: 'POST', url, headers: { ...bearer(token), 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  it('HTTP session ingest rejects the records outside its namespaces, as dead letters, and stores the rest', async () => {
    const res = await ingest('/ingest/sessions', TOKENS.tenantShipper, [flat(), flat(OTHER), flat({ vn: 'default-domain:k8s-billing:net', remote_vn: 'default-domain:k8s-shop:net' })]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect([body.accepted, body.rejected]).toEqual([2, 1]);
    expect(body.errors[0]).toMatchObject({ index: 1, message: expect.stringContaining('NAMESPACE_FORBIDDEN') });
    // An unlimited shipper stores the same record.
    expect((await ingest('/ingest/sessions', TOKENS.shipper, [flat(OTHER)])).json()).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('HTTP UVE ingest rejects UVEs outside its namespaces with FORBIDDEN', async () => {
    const uve = (name: string) => ({ type: 'virtual-network', name, document: { UveVirtualNetworkAgent: { in_bytes: 1 } } });
    const res = await ingest('/ingest/uves', TOKENS.tenantShipper, [uve('default-domain:k8s-shop:a'), uve('default-domain:k8s-billing:b')]);
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 1, errors: [{ index: 1, message: expect.stringContaining('belongs to no namespace this caller may write') }] });
  });

  it('GraphQL answers hold only its namespaces, and viewer says which', async () => {
    const q = `{ sessionTraffic(range: {from: "${RANGE.from}", to: "${RANGE.to}"}) { total { sessions } } }`;
    const all = (await graphql(gw.app, q, bearer(TOKENS.reader))).json().data.sessionTraffic.total.sessions;
    const shop = (await graphql(gw.app, q, bearer(TOKENS.tenant))).json().data.sessionTraffic.total.sessions;
    expect([all, shop]).toEqual([3, 2]);
    expect((await graphql(gw.app, '{ viewer { namespaces } }', bearer(TOKENS.tenant))).json().data.viewer.namespaces).toEqual(['shop']);
  });
});
