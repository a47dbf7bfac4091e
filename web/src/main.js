// pond's page: navigation, login, theme, and the router (#/page/arg?query).
import './main.css';
import { home, lineage, prefetchHome, run, runs, tableDetail, tables } from './pages.js';
import { api, errorBox, h, setCsrf, setLoginHandler } from './util.js';

const routes = {
  '': home, runs: (m, a, p) => (a ? run(m, a) : runs(m, a, p)), tables: (m, a) => (a ? tableDetail(m, a) : tables(m)),
  lineage,
  // The editor (CodeMirror) loads with the SQL page, not with the first page.
  sql: async (m, a) => (await import('./sql.js')).sqlPage(m, a),
};
const NAV = [['', 'Home'], ['runs', 'Runs'], ['tables', 'Tables'], ['lineage', 'Lineage'], ['sql', 'SQL']];

let main;
let project = 'pond';

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem('pond.theme', theme);
}

function shell() {
  const saved = localStorage.getItem('pond.theme');
  applyTheme(saved || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  main = h('main#main', { tabindex: -1 });
  const nav = h('nav', { 'aria-label': 'pages' }, h('span.brand', { text: project }),
    h('ul', {}, NAV.map(([k, label]) => h('li', {}, h('a', { href: `#/${k}`, 'data-page': k, text: label })))),
    h('button#theme', {
      'aria-label': 'switch between light and dark theme', text: '◐',
      onclick: () => { applyTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'); route(); },
    }));
  document.getElementById('app').replaceChildren(h('a.skip', { href: '#main', text: 'skip to content', onclick: (e) => { e.preventDefault(); main.focus(); } }),
    h('header', {}, nav), main);
}

async function route() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const [page, ...rest] = path.split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : null;
  const fn = routes[page] || home;
  if (main.cleanup) { main.cleanup(); main.cleanup = null; }
  main.replaceChildren();
  main.removeAttribute('data-ready');
  document.querySelectorAll('nav a').forEach((a) => a.toggleAttribute('aria-current', a.dataset.page === (routes[page] ? page : '')));
  document.title = `${NAV.find(([k]) => k === page)?.[1] || 'Home'} · ${project} · pond`;
  try {
    await fn(main, arg, new URLSearchParams(query || ''));
  } catch (e) {
    if (e.status !== 401) main.append(errorBox(e));
  }
  main.dataset.ready = page || 'home';
  if (!window.pondReadyMs) window.pondReadyMs = performance.now();
}

function login(message) {
  const input = h('input#token', { type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p.error', { role: 'alert' });
  if (message) err.textContent = message;
  const form = h('form.login', {
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('/api/login', { method: 'POST', body: { token: input.value } });
        setCsrf(r.csrf);
        shell();
        route();
      } catch (e) { err.textContent = e.message; }
    },
  }, h('h1', { text: `Log in to ${project}` }), h('p', { text: 'This server needs its token once; the page then keeps a session.' }),
  h('label', { for: 'token', text: 'Token' }), input, h('button', { type: 'submit', text: 'Log in' }), err);
  document.getElementById('app').replaceChildren(h('main', {}, form));
  input.focus();
}

async function start() {
  const session = api('/api/session');
  const page = location.hash.replace(/^#\/?/, '');
  // Without a token (or with a live session) the home page's data is on
  // its way while the session is asked for.
  if (page === '') prefetchHome(true);
  const s = await session;
  if (!s.logged_in) prefetchHome(false);
  project = s.project || 'pond';
  setLoginHandler(() => login('Your session ended: log in again.'));
  if (!s.logged_in) { login(); return; }
  setCsrf(s.csrf);
  shell();
  window.addEventListener('hashchange', route);
  route();
}

window.addEventListener('hashchange', () => { if (!main) return; });
start().catch((e) => document.getElementById('app').replaceChildren(errorBox(e)));
