import { ApiError, GraphQLClient } from './client.js';
import { FilterBar, keyOptions, loadKeyHints, type KeyHints } from './filter-bar.js';
import { el } from './format.js';
import { ViewerDocument } from './generated/graphql.js';
import { whereOf } from './keys.js';
import { COMPARE, formatState, LAST, METRICS, parseState, VIEWS, type State, type View } from './state.js';
import type { ViewContext } from './views/context.js';
import { RecordsPanel } from './views/records.js';
import { sankeyView } from './views/sankey.js';
import { seriesView } from './views/series.js';
import { talkersView } from './views/talkers.js';
import { uvePanel } from './views/uve-panel.js';
import { liveClient, tail } from './live.js';
import type { Client as LiveClient } from 'graphql-ws/client';

const TOKEN_KEY = 'sag-console-token';
const VIEW_TITLES: Record<View, string> = { sankey: 'Sankey', talkers: 'Top talkers', series: 'Series' };
const VIEW_RENDER: Record<View, (ctx: ViewContext, box: HTMLElement) => Promise<void>> = { sankey: sankeyView, talkers: talkersView, series: seriesView };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const client = new GraphQLClient('/graphql');
let state: State = parseState(location.search);
let hints: KeyHints = { local: [], remote: [] };
let abort = new AbortController();
let firstPaint = true;
/** The WebSocket client of the live mode, made again when the token changes. */
let live: { token: string | null; client: LiveClient } | null = null;
function liveClientFor(token: string | null): LiveClient {
  if (live === null || live.token !== token) {
    void live?.client.dispose();
    live = { token, client: liveClient(token) };
  }
  return live.client;
}

/** An error box: the API's own words, and its code. */
function showError(box: HTMLElement, e: unknown): void {
  if ((e as Error).name === 'AbortError') return;
  const code = e instanceof ApiError && e.code !== undefined ? ` (${e.code})` : '';
  box.replaceChildren(el('p', { class: 'error', role: 'alert', 'data-testid': 'error' }, `${(e as Error).message}${code}`));
}

function setState(patch: Partial<State>, push = true): void {
  state = { ...state, ...patch };
  const url = `${location.pathname}${formatState(state)}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  void refresh();
}

function controls(): void {
  const range = $<HTMLSelectElement>('range');
  range.replaceChildren(...LAST.map((l) => el('option', { value: l }, `last ${l}`)), el('option', { value: 'abs' }, 'absolute'));
  range.value = state.last ?? 'abs';
  const from = $<HTMLInputElement>('from');
  const to = $<HTMLInputElement>('to');
  from.value = state.from.replace(/Z$/, '').slice(0, 16);
  to.value = state.to.replace(/Z$/, '').slice(0, 16);
  $('absolute').hidden = state.last !== null;
  const metric = $<HTMLSelectElement>('metric');
  metric.replaceChildren(...METRICS.map((m) => el('option', { value: m }, m === 'TOTAL_BYTES' ? 'bytes' : 'sessions')));
  metric.value = state.metric;
  const compare = $<HTMLSelectElement>('compare');
  compare.replaceChildren(...COMPARE.map((c) => el('option', { value: c }, `${c} before`)));
  compare.value = state.compareTo;
  $('compare-box').hidden = state.view !== 'talkers';
  ($<HTMLInputElement>('top')).value = String(state.top);
  keyOptions($<HTMLSelectElement>('local'), hints, state.local);
  keyOptions($<HTMLSelectElement>('remote'), hints, state.remote);
  const tabs = $('tabs');
  tabs.replaceChildren(
    ...VIEWS.map((v) => {
      const b = el('button', { class: `tab${v === state.view ? ' active' : ''}`, 'data-view': v, role: 'tab' }, VIEW_TITLES[v]);
      b.addEventListener('click', () => setState({ view: v }));
      return b;
    }),
  );
}

function wireControls(): void {
  $<HTMLSelectElement>('range').addEventListener('change', (e) => {
    const v = (e.target as HTMLSelectElement).value;
    if (v === 'abs') {
      const to = new Date();
      const from = new Date(to.getTime() - 3600_000);
      const iso = (d: Date) => d.toISOString().slice(0, 16);
      setState({ last: null, from: state.from || iso(from), to: state.to || iso(to) });
    } else setState({ last: v });
  });
  const abs = () => setState({ last: null, from: $<HTMLInputElement>('from').value, to: $<HTMLInputElement>('to').value });
  $('from').addEventListener('change', abs);
  $('to').addEventListener('change', abs);
  $('metric').addEventListener('change', (e) => setState({ metric: (e.target as HTMLSelectElement).value as State['metric'] }));
  $('compare').addEventListener('change', (e) => setState({ compareTo: (e.target as HTMLSelectElement).value }));
  $('top').addEventListener('change', (e) => {
    const n = Number((e.target as HTMLInputElement).value);
    if (Number.isInteger(n) && n >= 1 && n <= 100) setState({ top: n });
  });
  $('local').addEventListener('change', (e) => setState({ local: (e.target as HTMLSelectElement).value, pair: null }));
  $('remote').addEventListener('change', (e) => setState({ remote: (e.target as HTMLSelectElement).value, pair: null }));
  $('uve-close').addEventListener('click', () => setState({ uve: null }));
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $<HTMLInputElement>('token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    client.token = token;
    void start();
  });
  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    client.token = null;
    void start();
  });
  window.addEventListener('popstate', () => {
    state = parseState(location.search);
    void refresh();
  });
}

const filterBar = new FilterBar(client, () => state, { setFilters: (filters) => setState({ filters, pair: null }), error: (m) => ($('filter-error').textContent = m ?? '') }, $('filters'));

let hintsFor = '';
async function refreshHints(signal: AbortSignal): Promise<void> {
  const key = JSON.stringify([state.last, state.from, state.to, state.filters]);
  if (key === hintsFor) return;
  try {
    hints = await loadKeyHints(client, state, signal);
    hintsFor = key;
    $('filter-error').textContent = '';
  } catch (e) {
    if ((e as Error).name !== 'AbortError') $('filter-error').textContent = (e as Error).message;
  }
  controls();
  filterBar.render(hints);
  document.body.dataset.hints = 'ready';
}

/** Runs the visible view, the records of the clicked pair and the UVE panel, each from its own request. */
async function refresh(): Promise<void> {
  abort.abort();
  abort = new AbortController();
  const signal = abort.signal;
  controls();
  filterBar.render(hints);
  const ctx: ViewContext = {
    client,
    state,
    where: whereOf(state.filters),
    signal,
    selectPair: (pair) => setState({ pair }),
    showUve: (uve) => setState({ uve }),
    setState,
  };
  const view = $('view');
  view.dataset.state = 'loading';
  view.dataset.view = state.view;
  const main = VIEW_RENDER[state.view](ctx, view).then(
    () => {
      if (signal.aborted) return;
      view.dataset.state = 'ready';
      if (firstPaint) {
        firstPaint = false;
        performance.mark('console-painted');
      }
    },
    (e: unknown) => {
      if (signal.aborted) return;
      showError(view, e);
      view.dataset.state = 'error';
    },
  );
  const recordsBox = $('records');
  recordsBox.hidden = state.pair === null;
  if (state.pair !== null) {
    recordsBox.dataset.state = 'loading';
    const panel = new RecordsPanel(
      client,
      state,
      state.pair,
      recordsBox,
      {
        showUve: (uve) => setState({ uve }),
        close: () => setState({ pair: null, live: false }),
        live: {
          on: state.live,
          set: (on) => setState({ live: on }),
          tail: (where, onRecord, onError) => tail(liveClientFor(client.token), where, onRecord, onError),
        },
      },
      signal,
    );
    void panel.open().then(
      () => {
        if (!signal.aborted) recordsBox.dataset.state = 'ready';
      },
      (e: unknown) => {
        if (signal.aborted) return;
        showError(recordsBox, e);
        recordsBox.dataset.state = 'error';
      },
    );
  }
  const uveBox = $('uve');
  uveBox.hidden = state.uve === null;
  if (state.uve !== null) {
    const body = $('uve-body');
    uveBox.dataset.state = 'loading';
    void uvePanel(client, state.uve, body, signal).then(
      () => {
        if (!signal.aborted) uveBox.dataset.state = 'ready';
      },
      (e: unknown) => {
        if (signal.aborted) return;
        showError(body, e);
        uveBox.dataset.state = 'error';
      },
    );
  }
  // Hints after the view's request: the default view paints first.
  await main;
  await refreshHints(signal);
}

/** Who am I: with no token and authentication on, the viewer query answers 401 and the token field shows. */
async function start(): Promise<void> {
  const who = $('viewer');
  const tokenForm = $('token-form');
  try {
    const data = await client.request(ViewerDocument, {});
    who.textContent = `${data.viewer.name}${data.viewer.namespaces === null ? '' : ` (namespaces ${data.viewer.namespaces.join(', ')})`}`;
    who.dataset.name = data.viewer.name;
    tokenForm.hidden = client.token === null;
    $('token').hidden = true;
    $('token-use').hidden = true;
    $('token-forget').hidden = client.token === null;
    $('auth-error').textContent = '';
    document.body.dataset.auth = client.token === null ? 'off' : 'token';
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.code === 'UNAUTHENTICATED')) {
      tokenForm.hidden = false;
      $('token').hidden = false;
      $('token-use').hidden = false;
      $('token-forget').hidden = true;
      who.textContent = '';
      $('auth-error').textContent = client.token === null ? 'This gateway needs a token.' : `${e.message} (${e.code ?? e.status})`;
      document.body.dataset.auth = 'needed';
      $('view').dataset.state = 'auth';
      return;
    }
    showError($('view'), e);
    return;
  }
  await refresh();
}

client.token = sessionStorage.getItem(TOKEN_KEY);
wireControls();
controls();
void start();
