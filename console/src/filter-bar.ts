import type { GraphQLClient } from './client.js';
import { LabelNamesDocument, ValuesDocument } from './generated/graphql.js';
import { el, shown } from './format.js';
import { DIMENSIONS, groupKey, keyTitle, localLabelKey, OPS, remoteLabelKey, whereOf, type Condition, type Op } from './keys.js';
import { rangeOf, type State } from './state.js';

export interface FilterBarHandlers {
  setFilters(filters: Condition[]): void;
  error(message: string | null): void;
}

/** The keys offered: the dimensions, then the label names seen over the range on each side (sessionLabelNames). */
export interface KeyHints {
  local: { name: string; records: number }[];
  remote: { name: string; records: number }[];
}

export async function loadKeyHints(client: GraphQLClient, state: State, signal: AbortSignal): Promise<KeyHints> {
  const data = await client.request(LabelNamesDocument, { range: rangeOf(state), where: whereOf(state.filters) }, signal);
  return { local: data.local, remote: data.remote };
}

/** <option>s of every key: dimensions and the labels of both sides. */
export function keyOptions(select: HTMLSelectElement, hints: KeyHints, selected: string): void {
  const groups: [string, [string, string][]][] = [
    ['client labels', hints.local.map((l) => [localLabelKey(l.name), `client ${l.name} (${l.records.toLocaleString('en-US')})`])],
    ['server labels', hints.remote.map((l) => [remoteLabelKey(l.name), `server ${l.name} (${l.records.toLocaleString('en-US')})`])],
    ['columns', Object.entries(DIMENSIONS).map(([k, d]) => [k, d.title])],
  ];
  select.replaceChildren();
  let found = false;
  for (const [label, opts] of groups) {
    if (opts.length === 0) continue;
    const g = el('optgroup', { label });
    for (const [value, text] of opts) {
      const o = el('option', { value }, text);
      if (value === selected) {
        o.selected = true;
        found = true;
      }
      g.append(o);
    }
    select.append(g);
  }
  // A key from the URL that the range does not show (yet) stays choosable.
  if (!found) select.prepend(Object.assign(el('option', { value: selected }, keyTitle(selected)), { selected: true }));
}

/**
 * The filter bar: the conditions as chips, and a key / operator / value
 * editor whose value hints come from sessionValues (narrowed by the other
 * conditions and by what is typed).
 */
export class FilterBar {
  readonly keySelect = el('select', { 'data-testid': 'filter-key', 'aria-label': 'filter key' });
  private readonly opSelect = el('select', { 'data-testid': 'filter-op', 'aria-label': 'operator' });
  private readonly valueInput = el('input', { 'data-testid': 'filter-value', placeholder: 'value (hints below)', 'aria-label': 'filter value', autocomplete: 'off' });
  private readonly hintList = el('ul', { class: 'hints', 'data-testid': 'filter-hints' });
  private readonly chips = el('span', { class: 'chips', 'data-testid': 'filter-chips' });
  private timer: ReturnType<typeof setTimeout> | undefined;
  private hintAbort: AbortController | null = null;

  constructor(
    private readonly client: GraphQLClient,
    private readonly getState: () => State,
    private readonly handlers: FilterBarHandlers,
    root: HTMLElement,
  ) {
    for (const op of OPS) this.opSelect.append(el('option', { value: op }, op === 'eq' ? '=' : op === 'ne' ? '≠' : 'starts with'));
    const add = el('button', { 'data-testid': 'filter-add' }, 'Add');
    add.addEventListener('click', () => this.add(this.valueInput.value));
    this.valueInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.add(this.valueInput.value);
    });
    this.valueInput.addEventListener('focus', () => this.scheduleHints(0));
    this.valueInput.addEventListener('input', () => this.scheduleHints(200));
    this.keySelect.addEventListener('change', () => {
      this.valueInput.value = '';
      this.scheduleHints(0);
    });
    root.replaceChildren(
      el('span', { class: 'label' }, 'Filter'),
      this.chips,
      el('span', { class: 'editor' }, this.keySelect, this.opSelect, el('span', { class: 'value' }, this.valueInput, this.hintList), add),
    );
  }

  render(hints: KeyHints): void {
    const state = this.getState();
    const current = this.keySelect.value || 'vn';
    keyOptions(this.keySelect, hints, current === '' ? 'vn' : current);
    this.chips.replaceChildren();
    state.filters.forEach((f, i) => {
      const x = el('button', { class: 'chip', title: 'Remove', 'data-key': f.key, 'data-value': shown(f.value) }, `${keyTitle(f.key)} ${f.op === 'eq' ? '=' : f.op === 'ne' ? '≠' : 'starts with'} ${shown(f.value)} ×`);
      x.addEventListener('click', () => this.handlers.setFilters(state.filters.filter((_, j) => j !== i)));
      this.chips.append(x);
    });
  }

  private add(value: string | null): void {
    const key = this.keySelect.value;
    if (key === '') return;
    const state = this.getState();
    this.valueInput.value = '';
    this.hintList.replaceChildren();
    this.handlers.setFilters([...state.filters, { key, op: this.opSelect.value as Op, value }]);
  }

  private scheduleHints(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.hints(), ms);
  }

  /** The values of the chosen key, most traffic first, narrowed by the other conditions and the typed prefix. */
  private async hints(): Promise<void> {
    const key = this.keySelect.value;
    if (key === '') return;
    this.hintAbort?.abort();
    const abort = (this.hintAbort = new AbortController());
    const state = this.getState();
    const prefix = this.valueInput.value;
    try {
      const data = await this.client.request(
        ValuesDocument,
        { range: rangeOf(state), key: groupKey(key), where: whereOf(state.filters), prefix: prefix === '' ? null : prefix, first: 20 },
        abort.signal,
      );
      this.hintList.replaceChildren();
      for (const v of data.sessionValues) {
        const b = el('button', { class: 'hint', 'data-value': shown(v.value), 'data-total': String(v.total) }, `${shown(v.value)}`, el('small', {}, ` ${v.total.toLocaleString('en-US')} sessions`));
        b.addEventListener('mousedown', (e) => e.preventDefault());
        b.addEventListener('click', () => {
          this.opSelect.value = 'eq';
          this.add(v.value);
        });
        this.hintList.append(el('li', {}, b));
      }
      this.hintList.dataset.key = key;
      this.handlers.error(null);
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      this.handlers.error((e as Error).message);
    }
  }
}
