// The SQL page: the editor, run / cancel, the results grid, a chart of the
// result, CSV download, and saved queries (pinned ones go on Home).
import { chartControls, defaultChart, drawChart } from './chart.js';
import { createEditor } from './editor.js';
import { grid, toCsv } from './grid.js';
import { api, errorBox, getCsrf, h } from './util.js';

let schemaCache = null;

async function loadSchema() {
  if (schemaCache) return schemaCache;
  const { tables } = await api('/api/tables');
  const described = await Promise.all(tables.map((t) => api(`/api/tables/${encodeURIComponent(t.table)}`).catch(() => null)));
  schemaCache = {};
  tables.forEach((t, i) => { schemaCache[t.table] = described[i] ? described[i].schema.fields.map((f) => f.name) : []; });
  return schemaCache;
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export async function sqlPage(main, arg) {
  main.append(h('h1', { text: 'SQL' }));
  const [schema, { queries }] = await Promise.all([loadSchema(), api('/api/queries')]);
  const saved = arg ? queries.find((q) => String(q.id) === arg) : null;
  const first = Object.keys(schema)[0];
  const doc = saved ? saved.sql : sessionStorage.getItem('pond.sql') || (first ? `SELECT * FROM ${first} LIMIT 100` : 'SELECT 42');
  const edHost = h('div.editor');
  const status = h('span.status', { role: 'status' });
  const limitSel = h('select', { id: 'sql-limit' }, ['1000', '10000', '100000'].map((v) => h('option', { value: v, text: v })));
  const runBtn = h('button#run', { text: 'Run', title: 'Ctrl-Enter' });
  const cancelBtn = h('button#cancel', { text: 'Cancel', disabled: true });
  const csvBtn = h('button#csv', { text: 'CSV', disabled: true });
  const xlsxBtn = h('button#xlsx', { text: 'xlsx', disabled: true, title: 'the whole result as an Excel workbook' });
  const nameIn = h('input#save-name', { type: 'text', placeholder: 'name', value: saved ? saved.name : '' });
  const pinIn = h('input#save-pin', { type: 'checkbox', checked: saved ? saved.pinned : true });
  const saveBtn = h('button#save', { text: 'Save' });
  const results = h('div.results');
  const chartBox = h('div.chart');
  const controls = h('div');
  let result = null, spec = saved && saved.chart && saved.chart.x ? saved.chart : null, ctrl = null;

  const dark = document.documentElement.dataset.theme === 'dark';
  const view = createEditor(edHost, { doc, schema, dark, onRun: () => runQuery() });

  async function runQuery() {
    if (ctrl) return;
    const sql = view.state.doc.toString();
    sessionStorage.setItem('pond.sql', sql);
    ctrl = new AbortController();
    runBtn.disabled = true; cancelBtn.disabled = false;
    status.textContent = 'running…';
    const t0 = performance.now();
    try {
      result = await api('/api/sql', { method: 'POST', body: { sql, limit: Number(limitSel.value) }, signal: ctrl.signal });
      const t1 = performance.now();
      const g = grid(result.columns, result.rows);
      results.replaceChildren(g);
      if (!spec || !result.columns.some((c) => c.name === spec.x)) spec = defaultChart(result.columns, result.rows);
      renderChart();
      csvBtn.disabled = false;
      xlsxBtn.disabled = false;
      await new Promise((r) => requestAnimationFrame(() => r()));
      const t2 = performance.now();
      results.dataset.rows = String(result.row_count);
      results.dataset.renderMs = (t2 - t1).toFixed(1);
      status.textContent = `${result.row_count.toLocaleString('en')} rows${result.truncated ? ' (truncated)' : ''} · query ${Math.round(t1 - t0)} ms · shown in ${Math.round(t2 - t1)} ms`;
    } catch (e) {
      status.textContent = e.name === 'AbortError' ? 'cancelled' : '';
      if (e.name !== 'AbortError') results.replaceChildren(errorBox(e));
    } finally {
      ctrl = null;
      runBtn.disabled = false; cancelBtn.disabled = true;
    }
  }

  function renderChart() {
    controls.replaceChildren(chartControls(result.columns, spec, (s) => { spec = s; drawChart(chartBox, result.columns, result.rows, spec); }));
    drawChart(chartBox, result.columns, result.rows, spec);
  }

  runBtn.addEventListener('click', runQuery);
  cancelBtn.addEventListener('click', () => ctrl && ctrl.abort());
  csvBtn.addEventListener('click', () => result && download('result.csv', toCsv(result.columns, result.rows), 'text/csv'));
  // The server writes the workbook (the export layer's xlsx writer), from the same read-only endpoint.
  xlsxBtn.addEventListener('click', async () => {
    status.textContent = 'writing the workbook…';
    try {
      const r = await fetch('/api/sql', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Pond-CSRF': getCsrf() },
        body: JSON.stringify({ sql: view.state.doc.toString(), format: 'xlsx' }),
      });
      if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || `HTTP ${r.status}`);
      download('result.xlsx', await r.blob(), r.headers.get('Content-Type'));
      status.textContent = 'workbook downloaded';
    } catch (e) { status.textContent = e.message; }
  });
  saveBtn.addEventListener('click', async () => {
    const name = nameIn.value.trim();
    if (!name) { nameIn.focus(); status.textContent = 'give the query a name to save it'; return; }
    try {
      if (saved) await api(`/api/queries/${saved.id}`, { method: 'DELETE' });
      const r = await api('/api/queries', { method: 'POST', body: { name, sql: view.state.doc.toString(), chart: spec, pinned: pinIn.checked } });
      status.textContent = `saved as query ${r.id}${pinIn.checked ? ', pinned to Home' : ''}`;
      renderSaved();
    } catch (e) { status.textContent = e.message; }
  });

  const savedList = h('ul.saved');
  async function renderSaved() {
    const { queries: qs } = await api('/api/queries');
    savedList.replaceChildren(...qs.map((q) => h('li', {}, h('a', { href: `#/sql/${q.id}`, text: q.name }), q.pinned ? ' 📌' : '',
      h('button.link', { 'aria-label': `delete ${q.name}`, text: '✕', onclick: async () => { await api(`/api/queries/${q.id}`, { method: 'DELETE' }); renderSaved(); } }))));
  }

  main.append(h('div.sql-layout', {},
    h('div.sql-main', {}, edHost,
      h('div.toolbar', {}, runBtn, cancelBtn, h('span.field', {}, h('label', { for: 'sql-limit', text: 'limit' }), limitSel), csvBtn, xlsxBtn,
        h('span.field', {}, h('label', { for: 'save-name', text: 'save as' }), nameIn),
        h('span.field', {}, pinIn, h('label', { for: 'save-pin', text: 'pin to Home' })), saveBtn, status),
      results, controls, chartBox),
    h('aside.sql-side', {}, h('h2', { text: 'Saved queries' }), savedList,
      h('h2', { text: 'Tables' }), h('ul.tables', {}, Object.entries(schema).map(([t, cols]) => h('li', { title: cols.join(', ') },
        h('button.link', { text: t, onclick: () => view.dispatch(view.state.replaceSelection(t)) })))))));
  renderSaved();
  if (saved) runQuery();
}
