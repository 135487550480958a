/**
 * The flow console in headless Chromium (scripts/tools/chromium.sh installs
 * Debian's package): the page against a gateway on the embedded store, its
 * numbers checked against the GraphQL answers to the same documents, with
 * authentication off and on. Outside CI the suite skips when Chromium is
 * missing; in CI (CI=true) it fails.
 */
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PairsDocument,
  RecordsDocument,
  SeriesDocument,
  TalkersDocument,
  ValuesDocument,
  type TypedDocumentString,
} from '../../console/src/generated/graphql.js';
import { chromiumPath, consoleServer, launch, settled, TOKENS, type ConsoleServer } from './browser.js';
import { loadConsoleData } from './fixture.js';

const path = chromiumPath();
const required = process.env['CI'] === 'true';

if (path === null && required) {
  it('finds Chromium (CI=true: run scripts/tools/chromium.sh)', () => {
    expect(path, 'no Chromium: scripts/tools/chromium.sh installs it').not.toBeNull();
  });
}

const APP_PAIRS = [{ localLabel: 'app' }, { remoteLabel: 'app' }];
const LAST_1H = { last: '1h' };

for (const auth of [false, true]) {
  describe.skipIf(path === null)(`the flow console, authentication ${auth ? 'on' : 'off'}`, () => {
    let server: ConsoleServer;
    let browser: Browser;
    let page: Page;
    const token: string | null = auth ? TOKENS.reader : null;

    async function api<R, V>(doc: TypedDocumentString<R, V>, variables: V, bearer = token): Promise<{ data?: R; errors?: { message: string; extensions?: { code?: string } }[] }> {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) },
        body: JSON.stringify({ query: doc.toString(), variables }),
      });
      return (await res.json()) as never;
    }
    const data = async <R, V>(doc: TypedDocumentString<R, V>, variables: V): Promise<R> => {
      const a = await api(doc, variables);
      expect(a.errors).toBeUndefined();
      return a.data!;
    };
    const attr = (sel: string, name: string) => page.$eval(sel, (e, n) => (e as any).getAttribute(n) as string, name);
    const all = (sel: string, names: string[]) => page.$$eval(sel, (es, ns) => es.map((e) => Object.fromEntries(ns.map((n) => [n, (e as any).getAttribute(n) as string]))), names);
    const click = async (sel: string, wait = '#view') => {
      await page.click(sel);
      return settled(page, wait);
    };

    /** Clicks a CSV button and returns the text of the file the page offered (URL.createObjectURL intercepted). */
    async function csvOf(sel: string): Promise<string> {
      await page.evaluate(() => {
        const w = globalThis as any;
        w.__csv = null;
        w.URL.createObjectURL = (blob: any) => {
          w.__csv = blob.text();
          return 'about:blank';
        };
        // No real download (and no navigation to the stand-in URL).
        w.HTMLAnchorElement.prototype.click = () => undefined;
      });
      await page.$eval(sel, (b) => (b as any).click());
      const text = await page.evaluate(() => (globalThis as any).__csv as Promise<string> | null);
      if (typeof text !== 'string') throw new Error(`${sel} offered no file`);
      return text;
    }

    /** Opens the page; with auth on, enters the token in the field the 401 brought up. */
    async function open(query = '', expected = 'ready'): Promise<void> {
      await page.goto(`${server.url}/${query}`);
      // The token is kept for the tab (sessionStorage): asked for on the first visit only.
      await page.waitForSelector('body[data-auth]');
      if ((await attr('body', 'data-auth')) === 'needed') {
        expect(auth).toBe(true);
        await page.type('[data-testid=token]', TOKENS.reader);
        await page.click('[data-testid=token-use]');
      }
      expect(await settled(page)).toBe(expected);
      expect(await attr('body', 'data-auth')).toBe(auth ? 'token' : 'off');
      expect(await page.$eval('[data-testid=viewer]', (e) => (e as any).dataset.name)).toBe(auth ? 'dashboards' : 'anonymous');
    }

    beforeAll(async () => {
      const now = BigInt(Date.now()) * 1_000_000n;
      server = await consoleServer({ auth });
      await loadConsoleData(server.gw, now, 1500);
      browser = await launch(path!);
      page = await browser.newPage();
      await page.setViewport({ width: 1300, height: 900 });
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('serves the page and its bundle without credentials, and asks for a token only when the gateway needs one', async () => {
      const html = await fetch(`${server.url}/`);
      expect(html.status).toBe(200);
      expect(await html.text()).toContain('/console/app.js');
      const js = await fetch(`${server.url}/console/app.js`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      await page.goto(`${server.url}/`);
      if (auth) {
        await page.waitForSelector('[data-testid=token]', { visible: true });
        expect(await page.$eval('[data-testid=auth-error]', (e) => e.textContent)).toBe('This gateway needs a token.');
        // A wrong token: the API's refusal, worded as it words it.
        await page.type('[data-testid=token]', 'tok-wrong-0123456789abcdef');
        await page.click('[data-testid=token-use]');
        await page.waitForFunction(() => ((globalThis as any).document.querySelector('[data-testid=auth-error]').textContent as string).includes('UNAUTHENTICATED'));
        const refusal = await api(PairsDocument, { range: LAST_1H }, 'tok-wrong-0123456789abcdef');
        expect(await page.$eval('[data-testid=auth-error]', (e) => e.textContent)).toBe(`${refusal.errors![0]!.message} (UNAUTHENTICATED)`);
        await page.evaluate(() => (globalThis as any).sessionStorage.clear());
      } else {
        expect(await settled(page)).toBe('ready');
        expect(await page.$eval('[data-testid=token]', (e) => (e as any).offsetParent === null)).toBe(true);
      }
    });

    it('draws the Sankey of the top pairs and "other" from one sessionTraffic answer', async () => {
      await open();
      const answer = (await data(PairsDocument, { range: LAST_1H, where: null, groupBy: APP_PAIRS, first: 10, orderBy: { metric: 'TOTAL_BYTES', direction: 'DESC' } })).sessionTraffic;
      const sum = answer.nodes.reduce((a, n) => a + n.traffic.totalBytes, 0);
      expect(Number(await attr('[data-testid=sankey-summary]', 'data-total'))).toBe(answer.total.totalBytes);
      expect(Number(await attr('[data-testid=sankey-summary]', 'data-other'))).toBe(answer.total.totalBytes - sum);
      expect(Number(await attr('[data-testid=sankey-summary]', 'data-pairs'))).toBe(answer.totalCount);
      const rows = await all('[data-testid=sankey-pairs] li', ['data-local', 'data-remote', 'data-value']);
      expect(rows.slice(0, answer.nodes.length)).toEqual(
        answer.nodes.map((n) => ({ 'data-local': n.group[0]!.value ?? '(none)', 'data-remote': n.group[1]!.value ?? '(none)', 'data-value': String(n.traffic.totalBytes) })),
      );
      expect(answer.totalCount).toBeGreaterThan(10);
      expect(rows.at(-1)).toEqual({ 'data-local': 'other', 'data-remote': 'other', 'data-value': String(answer.total.totalBytes - sum) });
      // The canvas is drawn.
      expect(await page.$eval('[data-testid=sankey-chart] canvas', (c) => (c as any).width)).toBeGreaterThan(0);
    });

    it('picks a filter from the hints; the numbers follow, the URL holds it, and a reload restores it', async () => {
      await open();
      await page.waitForSelector('[data-testid=filter-key] option[value="label.local.namespace"]');
      await page.select('[data-testid=filter-key]', 'label.local.namespace');
      await page.focus('[data-testid=filter-value]');
      await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=filter-hints]').dataset.key === 'label.local.namespace');
      const hints = await all('[data-testid=filter-hints] .hint', ['data-value', 'data-total']);
      const values = (await data(ValuesDocument, { range: LAST_1H, key: { localLabel: 'namespace' }, where: null, prefix: null, first: 20 })).sessionValues;
      expect(hints).toEqual(values.map((v) => ({ 'data-value': v.value ?? '(none)', 'data-total': String(v.total) })));
      const picked = values[1]!.value!;
      expect(await click(`[data-testid=filter-hints] .hint[data-value="${picked}"]`)).toBe('ready');
      expect(new URL(page.url()).searchParams.getAll('f')).toEqual([`label.local.namespace~eq~${picked}`]);
      const where = { localLabels: [{ name: 'namespace', eq: picked }] };
      const check = async () => {
        const answer = (await data(PairsDocument, { range: LAST_1H, where, groupBy: APP_PAIRS, first: 10, orderBy: { metric: 'TOTAL_BYTES', direction: 'DESC' } })).sessionTraffic;
        expect(Number(await attr('[data-testid=sankey-summary]', 'data-total'))).toBe(answer.total.totalBytes);
        const rows = await all('[data-testid=sankey-pairs] li', ['data-value']);
        expect(rows.slice(0, answer.nodes.length).map((r) => Number(r['data-value']))).toEqual(answer.nodes.map((n) => n.traffic.totalBytes));
      };
      await check();
      expect(await all('[data-testid=filter-chips] .chip', ['data-key', 'data-value'])).toEqual([{ 'data-key': 'label.local.namespace', 'data-value': picked }]);
      await page.reload();
      expect(await settled(page)).toBe('ready');
      expect(await all('[data-testid=filter-chips] .chip', ['data-key', 'data-value'])).toEqual([{ 'data-key': 'label.local.namespace', 'data-value': picked }]);
      await check();
    });

    it('lists the top talkers with the compared day and the change, and ranks by change on the server', async () => {
      await open('?view=talkers');
      const vars = { range: LAST_1H, where: null, groupBy: APP_PAIRS, first: 10, compareTo: '1d' };
      const byValue = (await data(TalkersDocument, { ...vars, orderBy: { metric: 'TOTAL_BYTES', direction: 'DESC', ranking: 'VALUE' } })).sessionTraffic;
      const rowsOf = (c: typeof byValue) =>
        c.nodes.map((n) => ({
          'data-local': n.group[0]!.value ?? '(none)',
          'data-remote': n.group[1]!.value ?? '(none)',
          'data-now': String(n.traffic.totalBytes),
          'data-before': String(n.previous?.totalBytes ?? 0),
          'data-change': String(n.traffic.totalBytes - (n.previous?.totalBytes ?? 0)),
        }));
      const cols = ['data-local', 'data-remote', 'data-now', 'data-before', 'data-change'];
      expect(await all('[data-testid=talkers-table] tbody tr', cols)).toEqual(rowsOf(byValue));
      expect(await attr('[data-testid=talkers-total]', 'data-before')).toBe(String(byValue.previousTotal!.totalBytes));
      expect(byValue.previousTotal!.totalBytes).toBeGreaterThan(0);
      expect(await click('[data-sort=CHANGE]')).toBe('ready');
      expect(new URL(page.url()).searchParams.get('rank')).toBe('CHANGE');
      const byChange = (await data(TalkersDocument, { ...vars, orderBy: { metric: 'TOTAL_BYTES', direction: 'DESC', ranking: 'CHANGE' } })).sessionTraffic;
      const rows = await all('[data-testid=talkers-table] tbody tr', cols);
      expect(rows).toEqual(rowsOf(byChange));
      const changes = rows.map((r) => Number(r['data-change']));
      expect(changes).toEqual([...changes].sort((a, b) => b - a));
      const csv = (await csvOf('[data-testid=talkers-csv]')).trimEnd().split('\r\n');
      expect(csv[0]).toBe('label.local.app,label.remote.app,total_bytes,total_bytes_1d_before,change');
      expect(csv.slice(1)).toEqual(rows.map((r) => [r['data-local'], r['data-remote'], r['data-now'], r['data-before'], r['data-change']].map((v) => (v === '(none)' ? '' : v)).join(',')));
      // Again: the biggest drops first.
      expect(await click('[data-sort=CHANGE]')).toBe('ready');
      const up = (await all('[data-testid=talkers-table] tbody tr', ['data-change'])).map((r) => Number(r['data-change']));
      expect(up).toEqual([...up].sort((a, b) => a - b));
    });

    it('stacks the top series and the "other" series from one sessionSeries answer', async () => {
      await open('?view=series');
      const answer = (await data(SeriesDocument, { range: LAST_1H, every: '1m', where: null, groupBy: APP_PAIRS, metric: 'TOTAL_BYTES', limit: 10 })).sessionSeries;
      const rows = await all('[data-testid=series-list] li', ['data-sum', 'data-other']);
      expect(rows).toEqual(answer.series.map((s) => ({ 'data-sum': String(s.points.reduce((a, p) => a + p.value, 0)), 'data-other': String(s.other) })));
      expect(rows.filter((r) => r['data-other'] === 'true')).toHaveLength(1);
      const pairs = (await data(PairsDocument, { range: LAST_1H, where: null, groupBy: APP_PAIRS, first: 1 })).sessionTraffic;
      expect(rows.reduce((a, r) => a + Number(r['data-sum']), 0)).toBe(pairs.total.totalBytes);
    });

    it('shows the raw records of a clicked pair, and the UVE of a clicked VN in the side panel', async () => {
      await open('?view=talkers');
      const first = (await all('[data-testid=talkers-table] tbody tr', ['data-local', 'data-remote']))[0]!;
      await page.click('[data-testid=talkers-table] tbody tr');
      expect(await settled(page, '#records')).toBe('ready');
      const q = new URL(page.url()).searchParams;
      expect([q.get('pl'), q.get('pr')]).toEqual([first['data-local'], first['data-remote']]);
      const where = { and: [{ localLabels: [{ name: 'app', eq: first['data-local']! }] }, { remoteLabels: [{ name: 'app', eq: first['data-remote']! }] }] };
      const answer = (await data(RecordsDocument, { range: LAST_1H, where, first: 100, after: null })).sessionRecords;
      expect(answer.nodes.length).toBeGreaterThan(0);
      expect((await all('[data-testid=records-table] tbody tr', ['data-bytes'])).map((r) => Number(r['data-bytes']))).toEqual(answer.nodes.map((n) => n.traffic.totalBytes));
      expect(await attr('[data-testid=records-summary]', 'data-count')).toBe(String(answer.nodes.length));
      const csv = (await csvOf('[data-testid=records-csv]')).trimEnd().split('\r\n');
      expect(csv).toHaveLength(answer.nodes.length + 1);
      expect(csv[0]!.split(',')).toContain('total_bytes');
      expect(csv.slice(1).map((l) => l.split(',')[11])).toEqual(answer.nodes.map((n) => String(n.traffic.totalBytes)));
      await page.click('[data-testid=records-table] tbody tr button.uve');
      expect(await settled(page, '#uve')).toBe('ready');
      expect(await page.$eval('[data-testid=uve-name]', (e) => e.textContent)).toBe(`virtual-network ${answer.nodes[0]!.vn}`);
      expect(JSON.parse((await page.$eval('[data-testid=uve-json]', (e) => e.textContent))!)).toMatchObject({ UveVirtualNetworkAgent: { in_bytes: 123456 } });
      // Reload: the pair and the panel come back from the URL.
      await page.reload();
      expect(await settled(page, '#records')).toBe('ready');
      expect(await settled(page, '#uve')).toBe('ready');
    });

    it('tails the records of a pair live over graphql-ws (sessionTail), and the toggle is in the URL', async () => {
      await open('?view=talkers&pl=frontend&pr=cart');
      expect(await settled(page, '#records')).toBe('ready');
      const before = Number(await attr('[data-testid=records-summary]', 'data-count'));
      await page.click('[data-testid=live-toggle]');
      expect(await settled(page, '#records')).toBe('ready');
      expect(new URL(page.url()).searchParams.get('live')).toBe('1');
      await page.waitForSelector('[data-testid=live-status][data-state=open]');
      // Give the subscription a moment to be accepted before the records are stored.
      await new Promise((r) => setTimeout(r, 1500));
      const bytes = [7_000_001, 7_000_002, 7_000_003];
      const time = (i: number) => new Date(Date.now() - 1000 + i).toISOString();
      const record = (i: number) =>
        `{time: "${time(i)}", vn: "default-domain:k8s-shop:shop-pod-network", remoteVn: "default-domain:k8s-shop:shop-pod-network", vrouterIp: "192.168.0.9", localIp: "10.244.0.99", clientPort: ${40000 + i}, remoteIp: "10.245.0.99", serverPort: 8080, protocol: 6, localLabels: [{name: "app", value: "frontend"}], remoteLabels: [{name: "app", value: "cart"}], forwardSampledBytes: ${bytes[i]! - 1}, forwardSampledPkts: 1, reverseSampledBytes: 1, reverseSampledPkts: 1}`;
      const other = `{vn: "x", remoteVn: "y", vrouterIp: "192.168.0.9", localIp: "10.244.0.98", clientPort: 1, remoteIp: "10.245.0.98", serverPort: 1, protocol: 6, localLabels: [{name: "app", value: "cart"}], remoteLabels: [{name: "app", value: "cart"}], forwardSampledBytes: 5, forwardSampledPkts: 1, reverseSampledBytes: 1, reverseSampledPkts: 1}`;
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${TOKENS.admin}` } : {}) },
        body: JSON.stringify({ query: `mutation { ingestSessions(records: [${record(0)}, ${other}, ${record(1)}, ${record(2)}]) { accepted rejected } }` }),
      });
      expect(((await res.json()) as any).data.ingestSessions).toEqual({ accepted: 4, rejected: 0 });
      await page.waitForFunction(() => (globalThis as any).document.querySelector('[data-testid=live-status]').dataset.received === '3', { timeout: 20_000 });
      const top = (await all('[data-testid=records-table] tbody tr', ['data-bytes'])).slice(0, 3).map((r) => Number(r['data-bytes']));
      expect(top.sort()).toEqual(bytes);
      expect(Number(await attr('[data-testid=records-summary]', 'data-count'))).toBe(before + 3);
      // Off again: the subscription ends with the panel.
      await page.click('[data-testid=live-toggle]');
      expect(await settled(page, '#records')).toBe('ready');
      expect(new URL(page.url()).searchParams.get('live')).toBeNull();
    });

    it('shows an error as the API words it', async () => {
      await open('?from=2026-12-01T00:00&to=2026-11-01T00:00', 'error');
      const answer = await api(PairsDocument, { range: { from: '2026-12-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, where: null, groupBy: APP_PAIRS, first: 10, orderBy: { metric: 'TOTAL_BYTES', direction: 'DESC' } });
      const e = answer.errors![0]!;
      expect(await page.$eval('#view [data-testid=error]', (x) => x.textContent)).toBe(`${e.message} (${e.extensions!.code})`);
    });
  });
}
