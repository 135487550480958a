const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1234567 -> "1.23 MB" (decimal units); sessions as plain counts. */
export function formatMetric(v: number, metric: string): string {
  if (metric !== 'TOTAL_BYTES') return v.toLocaleString('en-US');
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1000 && i < BYTE_UNITS.length - 1) {
    x /= 1000;
    i++;
  }
  return `${v < 0 ? '-' : ''}${i === 0 ? x : x.toPrecision(3)} ${BYTE_UNITS[i]}`;
}

export function formatChange(now: number, before: number): string {
  if (before === 0) return now === 0 ? '0%' : 'new';
  const pct = ((now - before) / before) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

/** A group value for display: null is the records that lack the label. */
export const shown = (v: string | null) => (v === null ? '(none)' : v);

/** An element with text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}
