// The pages: Home, Runs (and one run), Tables (and one table), Lineage.
// Each takes the main element and the route's argument and fills it.
import { drawChart, defaultChart } from './chart.js';
import { grid } from './grid.js';
import { api, badge, errorBox, fmtAgo, fmtBytes, fmtDur, fmtNum, fmtTime, h, quoteIdent } from './util.js';

const FINAL = new Set(['success', 'failed', 'interrupted']);

function table(headers, rows, cls = '') {
  return h('div.scroll', { tabindex: 0, role: 'region', 'aria-label': headers.join(', ') },
    h(`table${cls}`, {},
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}

// ---- Home ----

function strip(runs) {
  return h('span.strip', { role: 'group', 'aria-label': `last ${runs.length} runs` },
    runs.slice().reverse().map((r) => h(`a.sq.s-${r.status}`, {
      href: `#/runs/${r.id}`, title: `run ${r.id}: ${r.status} ${fmtTime(r.started_ms || r.queued_ms)}`,
      'aria-label': `run ${r.id} ${r.status}`,
    })));
}

async function pinned(main) {
  const { queries } = await api('/api/queries');
  const pins = queries.filter((q) => q.pinned);
  if (!pins.length) return;
  const box = h('section.pins', {}, h('h2', { text: 'Dashboard' }));
  main.prepend(box);
  const cards = h('div.cards');
  box.append(cards);
  // One query at a time: the server runs at most a few SQL requests at once.
  for (const q of pins) {
    const body = h('div.pin-body');
    cards.append(h('div.card.pin', { 'data-query': q.id }, h('h3', {}, h('a', { href: `#/sql/${q.id}`, text: q.name })), body));
    try {
      const res = await api('/api/sql', { method: 'POST', body: { sql: q.sql, limit: 10000 } });
      const spec = q.chart && q.chart.x ? q.chart : defaultChart(res.columns, res.rows);
      drawChart(body, res.columns, res.rows, spec, { height: 200 });
    } catch (e) { body.append(errorBox(e)); }
  }
}

// The first page's data, asked for while the session is checked.
let prefetched = null;
export function prefetchHome(on) {
  prefetched = on ? Promise.all([api('/api/pipelines', { quiet: true }), api('/api/tables', { quiet: true })]) : null;
  if (prefetched) prefetched.catch(() => {});
}

export async function home(main) {
  main.append(h('h1', { text: 'Home' }));
  const pending = prefetched || Promise.all([api('/api/pipelines'), api('/api/tables')]);
  prefetched = null;
  const [{ pipelines }, { tables }] = await pending;
  const rows = pipelines.map((p) => h('tr', {},
    h('th', { scope: 'row' }, h('a', { href: `#/runs?pipeline=${encodeURIComponent(p.name)}`, text: p.name })),
    h('td', { text: p.schedule ? `${p.schedule} (${p.timezone || 'UTC'})` : 'manual' }),
    h('td', { text: p.next_run_ms ? `${fmtTime(p.next_run_ms)}` : '—' }),
    h('td', {}, strip(p.recent_runs || [])),
    h('td', {}, h('button.run-now', {
      'data-pipeline': p.name, text: 'Run now',
      onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          const r = await api(`/api/pipelines/${encodeURIComponent(p.name)}/runs`, { method: 'POST', body: {} });
          location.hash = `#/runs/${r.run_id}`;
        } catch (e) { ev.target.after(errorBox(e)); ev.target.disabled = false; }
      },
    }))));
  main.append(h('section', {}, h('h2', { text: 'Pipelines' }),
    pipelines.length ? table(['pipeline', 'schedule', 'next run', 'last runs', ''], rows) : h('p.muted', { text: 'No pipelines in pond.yml.' })));
  const fresh = tables.slice().sort((a, b) => (b.last_updated_ms || 0) - (a.last_updated_ms || 0)).map((t) => h('tr', {},
    h('th', { scope: 'row' }, h('a', { href: `#/tables/${encodeURIComponent(t.table)}`, text: t.table })),
    h('td', { text: fmtAgo(t.last_updated_ms) }), h('td.num', { text: fmtNum(t.records) })));
  main.append(h('section', {}, h('h2', { text: 'Table freshness' }), table(['table', 'last change', 'rows'], fresh)));
  // The dashboard fills in after the page is usable.
  pinned(main).catch((e) => main.append(errorBox(e)));
}

// ---- Runs ----

export async function runs(main, arg, params) {
  main.append(h('h1', { text: 'Runs' }));
  const { pipelines } = await api('/api/pipelines');
  const pick = (id, label, values, current) => h('span.field', {},
    h('label', { for: id, text: label }),
    h('select', { id, onchange: apply }, [h('option', { value: '', text: 'all' }),
      ...values.map((v) => h('option', { value: v, text: v, selected: v === current ? true : undefined }))]));
  function apply() {
    const q = new URLSearchParams();
    for (const k of ['pipeline', 'status']) { const v = document.getElementById(`filter-${k}`).value; if (v) q.set(k, v); }
    location.hash = `#/runs${q.toString() ? '?' + q : ''}`;
  }
  main.append(h('div.filters', {},
    pick('filter-pipeline', 'pipeline', pipelines.map((p) => p.name), params.get('pipeline')),
    pick('filter-status', 'status', ['queued', 'running', 'success', 'failed', 'interrupted'], params.get('status'))));
  const q = new URLSearchParams({ limit: '100' });
  for (const k of ['pipeline', 'status']) if (params.get(k)) q.set(k, params.get(k));
  const { runs: list } = await api(`/api/runs?${q}`);
  main.append(list.length ? table(['run', 'pipeline', 'status', 'trigger', 'started', 'duration'], list.map((r) => h('tr', {},
    h('th', { scope: 'row' }, h('a', { href: `#/runs/${r.id}`, text: `#${r.id}` })),
    h('td', { text: r.pipeline }), h('td', {}, badge(r.status)), h('td', { text: r.trigger }),
    h('td', { text: fmtTime(r.started_ms || r.queued_ms) }), h('td', { text: fmtDur(r.duration_ms) })))) : h('p.muted', { text: 'No runs.' }));
}

function gantt(run, steps) {
  const start = run.started_ms || (steps[0] && steps[0].started_ms) || Date.now();
  const end = Math.max(run.ended_ms || 0, ...steps.map((s) => s.started_ms + (s.duration_ms ?? (Date.now() - s.started_ms))), start + 1);
  const span = end - start;
  return h('div.gantt', { role: 'list', 'aria-label': 'step timeline' }, steps.map((s) => {
    const d = s.duration_ms ?? Date.now() - s.started_ms;
    const left = ((s.started_ms - start) / span) * 100;
    const width = Math.max(0.5, (d / span) * 100);
    return h('div.gantt-row', { role: 'listitem', 'data-step': s.step },
      h('span.gantt-label', { text: s.attempt > 1 ? `${s.step} (attempt ${s.attempt})` : s.step }),
      h('span.gantt-track', {}, h(`span.gantt-bar.s-${s.status}`, {
        style: `left:${left}%;width:${width}%`, title: `${s.step}: ${s.status}, ${fmtDur(s.duration_ms)}`,
      })),
      h('span.gantt-dur', { text: s.duration_ms === null ? s.status : fmtDur(s.duration_ms) }));
  }));
}

export async function run(main, id) {
  let state = null;
  const head = h('div.run-head');
  const timeline = h('div');
  const logs = h('pre.log', { tabindex: 0, 'aria-label': 'log', 'aria-live': 'polite' });
  const logTitle = h('h2', { text: 'Log' });
  main.append(h('h1', { text: `Run #${id}` }), head, h('h2', { text: 'Steps' }), timeline, logTitle, logs);
  const render = () => {
    const r = state.run;
    head.replaceChildren(h('p', {}, badge(r.status), ` ${r.pipeline} · ${r.trigger} · started ${fmtTime(r.started_ms)} · ${fmtDur(r.duration_ms)}`),
      r.error ? h('p.error', { text: r.error }) : '',
      r.status === 'failed' || r.status === 'interrupted' ? h('button#retry', {
        text: 'Retry',
        onclick: async () => {
          const x = await api(`/api/pipelines/${encodeURIComponent(r.pipeline)}/runs`, { method: 'POST', body: { parameters: r.parameters || {} } });
          location.hash = `#/runs/${x.run_id}`;
        },
      }) : '');
    head.dataset.status = r.status;
    timeline.replaceChildren(state.steps.length ? gantt(r, state.steps) : h('p.muted', { text: 'No step has started.' }));
  };
  const loadFinal = async () => {
    const [r, s, l] = await Promise.all([api(`/api/runs/${id}`), api(`/api/runs/${id}/steps`), api(`/api/runs/${id}/logs`)]);
    state = { run: r, steps: s.steps };
    render();
    logs.textContent = l.log || '(no output)';
  };
  const es = new EventSource(`/api/runs/${id}/events`);
  main.cleanup = () => es.close();
  es.addEventListener('state', (ev) => {
    state = JSON.parse(ev.data);
    render();
    if (FINAL.has(state.run.status)) { es.close(); loadFinal(); }
  });
  es.addEventListener('step', (ev) => {
    const e = JSON.parse(ev.data);
    const now = e.at_ms;
    let s = state.steps.find((x) => x.step === e.step && (e.attempt === undefined || x.attempt === e.attempt));
    if (!s) { s = { step: e.step, attempt: e.attempt || 1, started_ms: now, duration_ms: null }; state.steps.push(s); }
    s.status = e.status;
    if (e.duration_ms !== undefined) s.duration_ms = e.duration_ms;
    if (e.rows !== undefined) s.rows = e.rows;
    if (e.status === 'running') logs.append(`== ${e.step} ==\n`);
    render();
  });
  es.addEventListener('log', (ev) => {
    const e = JSON.parse(ev.data);
    logs.append(`${e.line}\n`);
    logs.scrollTop = logs.scrollHeight;
  });
  es.addEventListener('run', (ev) => {
    const e = JSON.parse(ev.data);
    state.run.status = e.status;
    if (e.error) state.run.error = e.error;
    render();
    if (FINAL.has(e.status)) { es.close(); loadFinal(); }
  });
  es.onerror = () => es.close();
}

// ---- Tables ----

export async function tables(main) {
  main.append(h('h1', { text: 'Tables' }));
  const { tables: list } = await api('/api/tables');
  const byNs = new Map();
  for (const t of list) {
    const ns = t.table.slice(0, t.table.lastIndexOf('.'));
    if (!byNs.has(ns)) byNs.set(ns, []);
    byNs.get(ns).push(t);
  }
  for (const [ns, ts] of byNs) {
    main.append(h('h2', { text: ns }), table(['table', 'rows', 'size', 'files', 'snapshots', 'last change'], ts.map((t) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/tables/${encodeURIComponent(t.table)}`, text: t.table.slice(ns.length + 1) })),
      h('td.num', { text: fmtNum(t.records) }), h('td.num', { text: fmtBytes(t.bytes) }), h('td.num', { text: fmtNum(t.data_files) }),
      h('td.num', { text: fmtNum(t.snapshots) }), h('td', { text: fmtAgo(t.last_updated_ms) })))));
  }
}

// Who wrote a snapshot, from its summary: a model, an ingest source, another engine.
function writer(summary) {
  if (summary['pond.model']) return `model ${summary['pond.model']}`;
  const src = Object.keys(summary).find((k) => /^pond\.ingest\..*\.state$/.test(k));
  if (src) return `ingest ${src.slice(12, -6)}`;
  if (summary['engine-name']) return summary['engine-name'];
  return summary['app-id'] || 'pond';
}

async function preview(box, name, snapshotId) {
  box.replaceChildren(h('p.muted', { text: 'Loading…' }));
  const at = snapshotId ? ` AT (VERSION => ${snapshotId})` : '';
  try {
    const res = await api('/api/sql', { method: 'POST', body: { sql: `SELECT * FROM ${quoteIdent(name)}${at} LIMIT 200`, limit: 200 } });
    box.replaceChildren(h('p.muted', { text: `${res.row_count} rows shown${snapshotId ? ` at snapshot ${snapshotId}` : ''}` }),
      grid(res.columns, res.rows, { label: 'preview' }));
    box.dataset.snapshot = snapshotId || 'current';
  } catch (e) { box.replaceChildren(errorBox(e)); }
}

export async function tableDetail(main, name) {
  const [t, snaps, lineage] = await Promise.all([api(`/api/tables/${encodeURIComponent(name)}`),
    api(`/api/tables/${encodeURIComponent(name)}/snapshots`), api('/api/lineage').catch(() => ({ nodes: [] }))]);
  const node = lineage.nodes.find((n) => n.name === name);
  const docs = (node && node.columns) || {};
  main.append(h('h1', { text: name }));
  if (node && node.description) main.append(h('p', { text: node.description }));
  main.append(h('p.muted', { text: `${fmtNum(t.totals.records)} rows · ${fmtBytes(t.totals.bytes)} · ${t.totals.data_files} files · changed ${fmtAgo(t.last_updated_ms)}` }));
  main.append(h('h2', { text: 'Schema' }), table(['column', 'type', 'required', 'description'], t.schema.fields.map((f) => h('tr', {},
    h('th', { scope: 'row', text: f.name }), h('td', { text: typeof f.type === 'string' ? f.type : JSON.stringify(f.type) }),
    h('td', { text: f.required ? 'yes' : '' }), h('td', { text: typeof docs[f.name] === 'string' ? docs[f.name] : (docs[f.name]?.description || '') })))));
  const parts = t.partition_spec.fields;
  main.append(h('h2', { text: 'Partitioning' }), h('p', { text: parts.length ? parts.map((p) => `${p.transform}(${p.name})`).join(', ') : 'not partitioned' }));
  if (node && node.tests && node.tests.length) {
    const failed = node.state?.failed_tests || 0;
    main.append(h('h2', { text: 'Data tests' }), h('p', {}, failed ? h('span.badge.s-failed', { text: `${failed} failing` }) : node.state ? h('span.badge.s-success', { text: 'passing' }) : 'not run yet'),
      h('ul', {}, node.tests.map((x) => h('li', { text: `${x.test} (${x.severity})` }))));
  }
  const box = h('div.preview');
  const list = snaps.snapshots.slice().reverse();
  main.append(h('h2', { text: 'Snapshots' }), table(['snapshot', 'committed', 'operation', 'written by', 'added', 'removed', 'total', ''], list.map((s) => h('tr', {},
    h('th', { scope: 'row', text: String(s.snapshot_id) }), h('td', { text: s.committed_at }), h('td', { text: s.operation }),
    h('td', { text: writer(s.summary || {}) }),
    h('td.num', { text: fmtNum(s.added_records) }), h('td.num', { text: fmtNum(s.deleted_records) }), h('td.num', { text: fmtNum(s.total_records) }),
    h('td', {}, h('button.preview-at', { 'data-snapshot': String(s.snapshot_id), text: s.current ? 'preview (current)' : 'preview', onclick: () => preview(box, name, s.current ? null : s.snapshot_id) }))))));
  main.append(h('h2', { text: 'Data' }), box);
  await preview(box, name, null);
}

// ---- Lineage ----

export async function lineage(main) {
  main.append(h('h1', { text: 'Lineage' }));
  const [g, { tables: list }] = await Promise.all([api('/api/lineage'), api('/api/tables')]);
  const changed = new Map(list.map((t) => [t.table, t.last_updated_ms || 0]));
  const parents = new Map(g.nodes.map((n) => [n.name, []]));
  for (const e of g.edges) parents.get(e.to)?.push(e.from);
  const layer = new Map();
  const depth = (n, seen = new Set()) => {
    if (layer.has(n)) return layer.get(n);
    if (seen.has(n)) return 0;
    seen.add(n);
    const d = Math.max(-1, ...parents.get(n).map((p) => depth(p, seen))) + 1;
    layer.set(n, d);
    return d;
  };
  g.nodes.forEach((n) => depth(n.name));
  const cols = [];
  for (const n of g.nodes) (cols[layer.get(n.name)] ||= []).push(n);
  const W = 190, H = 34, GX = 70, GY = 16;
  const pos = new Map();
  cols.forEach((c, x) => c.forEach((n, y) => pos.set(n.name, { x: 10 + x * (W + GX), y: 10 + y * (H + GY) })));
  const width = 20 + cols.length * (W + GX) - GX, height = 20 + Math.max(...cols.map((c) => c.length)) * (H + GY) - GY;
  const NS = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs) => { const e = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); return e; };
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'lineage graph' });
  for (const e of g.edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
    svg.append(el('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, class: 'edge' }));
  }
  for (const n of g.nodes) {
    const p = pos.get(n.name);
    const failed = n.state && (n.state.status === 'failed' || n.state.status === 'blocked' || n.state.failed_tests > 0);
    const mine = changed.get(n.name) || 0;
    const stale = !failed && n.kind === 'model' && parents.get(n.name).some((x) => (changed.get(x) || 0) > mine);
    const link = el('a', { href: n.kind === 'export' ? '#/lineage' : `#/tables/${encodeURIComponent(n.name)}`, class: `node k-${n.kind}${failed ? ' failed' : ''}${stale ? ' stale' : ''}`, 'data-node': n.name });
    const title = el('title', {});
    title.textContent = `${n.kind}: ${n.name}${failed ? ' (failed)' : stale ? ' (stale: an input changed after it was built)' : ''}${n.description ? ' — ' + n.description : ''}`;
    link.append(title, el('rect', { x: p.x, y: p.y, width: W, height: H, rx: 6 }));
    const text = el('text', { x: p.x + 10, y: p.y + H / 2 + 4 });
    text.textContent = `${failed ? '✖ ' : stale ? '⚠ ' : ''}${n.name.length > 24 ? n.name.slice(0, 23) + '…' : n.name}`;
    link.append(text);
    svg.append(link);
  }
  main.append(h('p.legend', {}, h('span.lg.k-source', { text: 'source' }), h('span.lg.k-model', { text: 'model' }), h('span.lg.k-export', { text: 'export' }),
    h('span.lg.failed', { text: '✖ failed' }), h('span.lg.stale', { text: '⚠ stale' })),
  h('div.scroll.lineage', { tabindex: 0, role: 'region', 'aria-label': 'lineage graph' }, svg));
}
