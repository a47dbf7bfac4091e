// Charts of a query result with uPlot: line, bar, area or scatter, x and
// y and an optional series column chosen from the result's columns, with
// a default picked from the column types.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './util.js';

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d',
  '#ea580c', '#4f46e5', '#0d9488', '#9333ea'];
const MAX_SERIES = 12;

const isTemporal = (t) => /^(date|timestamp)/i.test(t || '');
const isNumeric = (t) => /int|double|float|decimal|real|numeric/i.test(t || '');

// The default chart: time on x with a line, else categories with bars,
// else a scatter; y the first number; series a text column of few values.
export function defaultChart(columns, rows) {
  const idx = (pred, not = -1) => columns.findIndex((c, i) => i !== not && pred(c.type));
  let x = idx(isTemporal);
  let type = 'line';
  if (x < 0) { x = idx((t) => !isNumeric(t)); type = 'bar'; }
  if (x < 0) { x = 0; type = 'scatter'; }
  const y = idx(isNumeric, x);
  let series = -1;
  if (type !== 'scatter') {
    columns.forEach((c, i) => {
      if (series >= 0 || i === x || i === y || isNumeric(c.type) || isTemporal(c.type)) return;
      const distinct = new Set(rows.slice(0, 5000).map((r) => r[i]));
      if (distinct.size > 1 && distinct.size <= MAX_SERIES) series = i;
    });
  }
  return { type, x: columns[x]?.name, y: y >= 0 ? columns[y].name : null, series: series >= 0 ? columns[series].name : null };
}

function xValue(v, kind) {
  if (v === null || v === undefined) return null;
  if (kind === 'time') return Date.parse(String(v).replace(' ', 'T') + (String(v).length <= 10 ? 'T00:00:00Z' : 'Z')) / 1000;
  return Number(v);
}

// uPlot's data: [xs, ys...] and the series names.
export function chartData(columns, rows, spec) {
  const col = (name) => columns.findIndex((c) => c.name === name);
  const xi = col(spec.x), yi = col(spec.y), si = spec.series ? col(spec.series) : -1;
  const kind = isTemporal(columns[xi]?.type) ? 'time' : isNumeric(columns[xi]?.type) ? 'number' : 'category';
  const labels = [];
  const catIndex = new Map();
  const xOf = (v) => {
    if (kind !== 'category') return xValue(v, kind);
    const k = String(v);
    if (!catIndex.has(k)) { catIndex.set(k, labels.length); labels.push(k); }
    return catIndex.get(k);
  };
  const groups = new Map();
  const xsSet = new Map();
  for (const r of rows) {
    const x = xOf(r[xi]);
    if (x === null || Number.isNaN(x)) continue;
    const g = si >= 0 ? String(r[si]) : spec.y;
    if (!groups.has(g)) { if (groups.size >= MAX_SERIES) continue; groups.set(g, new Map()); }
    groups.get(g).set(x, r[yi] === null ? null : Number(r[yi]));
    xsSet.set(x, true);
  }
  const xs = [...xsSet.keys()].sort((a, b) => a - b);
  const names = [...groups.keys()];
  const ys = names.map((n) => xs.map((x) => (groups.get(n).has(x) ? groups.get(n).get(x) : null)));
  return { kind, labels, data: [xs, ...ys], names };
}

export function drawChart(target, columns, rows, spec, { height = 320 } = {}) {
  target.replaceChildren();
  if (!spec.x || !spec.y) {
    target.append(h('p.muted', { text: 'Nothing to chart: the result needs a numeric column.' }));
    return null;
  }
  const { kind, labels, data, names } = chartData(columns, rows, spec);
  const css = getComputedStyle(document.documentElement);
  const axisColor = css.getPropertyValue('--muted').trim() || '#666';
  const gridColor = css.getPropertyValue('--line').trim() || '#ddd';
  const bars = spec.type === 'bar' ? uPlot.paths.bars({ size: [0.7, 60] }) : null;
  const series = [{}].concat(names.map((n, i) => {
    const c = PALETTE[i % PALETTE.length];
    const s = { label: n, stroke: c, width: 1.5, spanGaps: true, points: { show: false } };
    if (spec.type === 'area') s.fill = c + '33';
    if (spec.type === 'bar') { s.paths = bars; s.fill = c + 'cc'; }
    if (spec.type === 'scatter') { s.paths = () => null; s.points = { show: true, size: 5, fill: c }; }
    return s;
  }));
  const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
  const xAxis = { ...axis };
  if (kind === 'category') xAxis.values = (u, splits) => splits.map((v) => labels[v] ?? '');
  const opts = {
    width: Math.max(280, target.clientWidth || 600), height,
    scales: { x: { time: kind === 'time', distr: kind === 'category' ? 2 : 1 } },
    series, axes: [xAxis, axis], legend: { show: names.length > 1 || true },
  };
  const plot = new uPlot(opts, data, target);
  const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, target.clientWidth), height }));
  ro.observe(target);
  return plot;
}

// The x / y / series / type pickers; onChange gets the new spec.
export function chartControls(columns, spec, onChange) {
  const pick = (label, key, options) => {
    const id = `chart-${key}`;
    const sel = h('select', { id, onchange: () => { spec[key] = sel.value || null; onChange(spec); } },
      options.map((o) => h('option', { value: o.value, selected: spec[key] === o.value ? true : undefined }, o.label)));
    return h('span.field', {}, h('label', { for: id, text: label }), sel);
  };
  const cols = columns.map((c) => ({ value: c.name, label: c.name }));
  return h('div.chart-controls', {},
    pick('chart', 'type', ['line', 'bar', 'area', 'scatter'].map((t) => ({ value: t, label: t }))),
    pick('x', 'x', cols),
    pick('y', 'y', cols),
    pick('series', 'series', [{ value: '', label: '(none)' }].concat(cols)));
}
