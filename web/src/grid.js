// A results grid that stays smooth at 100,000 rows: fixed-height rows,
// and only the rows in view (plus a margin) are in the DOM; scrolling
// re-renders that window on the next animation frame.
import { h } from './util.js';

const ROW = 26;
const MARGIN = 8;

function cellText(v) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// Column widths from the header and a sample of the rows.
function widths(columns, rows) {
  const sample = Math.min(rows.length, 200);
  return columns.map((c, i) => {
    let n = c.name.length;
    for (let r = 0; r < sample; r++) n = Math.max(n, cellText(rows[r][i]).length);
    return Math.max(64, Math.min(360, n * 8 + 20));
  });
}

export function grid(columns, rows, { label = 'query results' } = {}) {
  const w = widths(columns, rows);
  const total = w.reduce((a, b) => a + b, 0);
  const numeric = columns.map((c) => /int|double|float|decimal|real|numeric|hugeint/i.test(c.type || ''));
  const root = h('div.grid', { tabindex: 0, role: 'region', 'aria-label': `${label}: ${rows.length} rows` });
  const head = h('div.grid-head', { style: `width:${total}px` },
    columns.map((c, i) => h('div.cell.head', { style: `width:${w[i]}px`, title: c.type || '' }, c.name)));
  const body = h('div.grid-body', { style: `height:${rows.length * ROW}px;width:${total}px` });
  const win = h('div.grid-window');
  body.append(win);
  root.append(head, body);
  let first = -1, last = -1, pending = false;

  function render() {
    pending = false;
    const view = root.clientHeight || 400;
    const top = Math.max(0, root.scrollTop - ROW);
    const from = Math.max(0, Math.floor(top / ROW) - MARGIN);
    const to = Math.min(rows.length, Math.ceil((top + view) / ROW) + MARGIN);
    if (from === first && to === last) return;
    first = from; last = to;
    const frag = document.createDocumentFragment();
    for (let r = from; r < to; r++) {
      const row = document.createElement('div');
      row.className = r % 2 ? 'grid-row odd' : 'grid-row';
      const vals = rows[r];
      for (let i = 0; i < columns.length; i++) {
        const cell = document.createElement('div');
        const v = vals[i];
        cell.className = v === null ? 'cell null' : numeric[i] ? 'cell num' : 'cell';
        cell.style.width = `${w[i]}px`;
        cell.textContent = cellText(v);
        row.append(cell);
      }
      frag.append(row);
    }
    win.style.transform = `translateY(${from * ROW}px)`;
    win.replaceChildren(frag);
  }
  root.addEventListener('scroll', () => {
    if (!pending) { pending = true; requestAnimationFrame(render); }
  }, { passive: true });
  // The first window once the grid is in the document (its height is known).
  requestAnimationFrame(render);
  root.refresh = render;
  return root;
}

// The rows as CSV (RFC 4180 quoting).
export function toCsv(columns, rows) {
  const q = (v) => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [columns.map((c) => q(c.name)).join(',')];
  for (const r of rows) lines.push(r.map(q).join(','));
  return lines.join('\r\n') + '\r\n';
}
