// Small helpers every page uses: the API client (session CSRF token,
// login on 401), element building, and formatting.

let csrf = null;
let onLoginNeeded = () => {};

export function setCsrf(token) { csrf = token; }
export function getCsrf() { return csrf || ''; }
export function setLoginHandler(fn) { onLoginNeeded = fn; }

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// JSON with integers past 2^53 (snapshot ids, BIGINT values) kept exact as strings.
const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
export function parseJson(text) {
  try {
    return JSON.parse(text.replace(TOKENS, (tok) =>
      (tok[0] !== '"' && /^-?\d{16,}$/.test(tok) && !Number.isSafeInteger(Number(tok)) ? `"${tok}"` : tok)));
  } catch (e) {
    return null;
  }
}

// Calls the JSON API. State-changing requests carry the session's CSRF token.
export async function api(path, { method = 'GET', body, signal, quiet = false } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-Pond-CSRF'] = csrf;
  const r = await fetch(path, {
    method, headers, signal, credentials: 'same-origin',
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (r.status === 204) return null;
  const doc = parseJson(await r.text()) || { error: `HTTP ${r.status}` };
  if (r.status === 401 && !quiet && path !== '/api/login') onLoginNeeded();
  if (!r.ok) throw new ApiError(r.status, doc.error || `HTTP ${r.status}`);
  return doc;
}

// h('div#id.card', {onclick}, child, ...): an element with an id, classes, properties and children.
export function h(tag, props, ...children) {
  const [head, ...classes] = tag.split('.');
  const [name, id] = head.split('#');
  const el = document.createElement(name || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function fmtTime(ms) {
  if (!ms) return '—';
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fmtAgo(ms) {
  if (!ms) return 'never';
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 0) return `in ${fmtDur(-s * 1000)}`;
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function fmtDur(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
}

export function fmtNum(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en');
}

export function badge(status) {
  return h(`span.badge.s-${status}`, { text: status });
}

export function errorBox(e) {
  return h('p.error', { role: 'alert', text: e.message || String(e) });
}

// Quotes an identifier for DuckDB ("ns"."t").
export function quoteIdent(name) {
  return name.split('.').map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}
