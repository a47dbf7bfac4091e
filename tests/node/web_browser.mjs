// Drives Debian's Chromium (puppeteer-core, no browser download) through
// pond's web page on a running `pond serve` of the demo project. Prints
// "ok NAME" / "FAIL NAME: why" lines for tests/e2e/web.sh to count.
//   node web_browser.mjs all URL TOKEN_URL TOKEN [SHOTS_DIR]   both below, one browser
//   node web_browser.mjs open URL [SHOTS_DIR]   every page, SQL, run, tables, lineage, phone, axe
//   node web_browser.mjs token URL TOKEN        the login form, the session cookie, CSRF
//   node web_browser.mjs bench URL              home interactive time, 100,000-row render time
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [mode, firstUrl, extra, ...more] = process.argv.slice(2);
let base = firstUrl;
const CHROMIUM = process.env.POND_CHROMIUM || '/usr/bin/chromium';
const WAIT = Number(process.env.POND_TEST_WAIT || 120) * 1000;
let failures = 0;
const ok = (name) => console.log(`ok   ${name}`);
const fail = (name, why) => { failures++; console.log(`FAIL ${name}: ${why}`); };
async function test(name, fn) {
  try { await fn(); ok(name); } catch (e) { fail(name, (e && e.message ? e.message : String(e)).split('\n')[0]); }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const browser = await puppeteer.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});
const consoleErrors = [];
async function newPage(width = 1280, height = 860) {
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  page.setDefaultTimeout(WAIT);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return page;
}
async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((p) => document.querySelector('main')?.dataset.ready === p, {}, hash.replace(/^#\/?/, '').split(/[/?]/)[0] || 'home');
}
async function shot(page, dir, name) { if (dir) await page.screenshot({ path: `${dir}/${name}.png` }); }

async function axe(page, label) {
  // Evaluated through the DevTools protocol: the page's CSP forbids inline scripts.
  await page.evaluate(`${AXE};0`);
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(!bad.length, `${label}: ${bad.map((v) => `${v.id} (${v.nodes.length}: ${v.nodes[0].target.join(' ')})`).join('; ')}`);
}

async function openMode(shots) {
  const page = await newPage();
  await test('home page loads with pipelines and freshness', async () => {
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('main')?.dataset.ready === 'home');
    const n = await page.$$eval('button.run-now', (b) => b.length);
    assert(n >= 1, 'no Run now button');
    const strip = await page.$$eval('.strip .sq', (s) => s.length);
    assert(strip >= 1, 'no last-runs strip square');
    await shot(page, shots, 'home');
  });
  await test('axe: home has no serious violations', () => axe(page, 'home'));

  await test('sql query fills the grid and draws the chart', async () => {
    await go(page, '#/sql');
    await page.waitForSelector('.cm-content');
    await page.evaluate(() => { sessionStorage.clear(); });
    await page.click('.cm-content');
    await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
    await page.keyboard.type('select date, ticker, close from raw.prices where ticker in (\'AAPL\', \'MSFT\', \'NESN\') order by date');
    await page.keyboard.down('Control'); await page.keyboard.press('Enter'); await page.keyboard.up('Control');
    await page.waitForSelector('.results[data-rows]');
    const rows = await page.$eval('.results', (r) => Number(r.dataset.rows));
    assert(rows > 100, `only ${rows} rows`);
    const cells = await page.$$eval('.grid .grid-row', (r) => r.length);
    assert(cells > 5 && cells < 200, `${cells} rows in the DOM (virtualized?)`);
    const drawn = await page.$eval('.chart canvas', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
      return n;
    });
    assert(drawn > 500, `chart canvas has ${drawn} painted pixels`);
    const series = await page.$$eval('.u-legend .u-series', (s) => s.length);
    assert(series >= 3, `expected one series per ticker, got ${series - 1}`);
    await page.keyboard.press('Escape');
    await shot(page, shots, 'sql');
  });
  await test('sql completion offers table names', async () => {
    await page.click('.cm-content');
    await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
    await page.keyboard.type('select * from raw.pri');
    await page.keyboard.down('Control'); await page.keyboard.press('Space'); await page.keyboard.up('Control');
    await page.waitForFunction(() => [...document.querySelectorAll('.cm-tooltip-autocomplete li')].some((l) => l.textContent.includes('prices')));
    await page.keyboard.press('Escape');
  });
  await test('chart type switches to bar', async () => {
    await page.select('#chart-type', 'bar');
    await page.waitForSelector('.chart canvas');
  });
  await test('axe: sql has no serious violations', () => axe(page, 'sql'));
  // web.sh checks the server's log for the stopped query (status 499).
  await test('cancel stops a running query', async () => {
    await page.click('.cm-content');
    await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
    await page.keyboard.type('select sum(a.range * b.range) from range(1000000) a, range(1000000) b');
    await page.click('#run');
    await page.waitForFunction(() => !document.querySelector('#cancel').disabled);
    await page.click('#cancel');
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'cancelled');
    await page.waitForFunction(() => !document.querySelector('#run').disabled);
  });

  await test('a pipeline run from the page reaches success live', async () => {
    await go(page, '#/');
    await page.click('button.run-now[data-pipeline="hello"]');
    await page.waitForFunction(() => /^#\/runs\/\d+$/.test(location.hash));
    await page.waitForFunction(() => document.querySelector('.run-head')?.dataset.status === 'success');
    await page.waitForFunction(() => document.querySelector('.log')?.textContent.includes('hello from pond'));
    const bars = await page.$$eval('.gantt-bar.s-success', (b) => b.length);
    assert(bars >= 2, `${bars} successful steps on the timeline`);
    await shot(page, shots, 'run');
  });
  await test('retry on a failed run starts a new run of its pipeline', async () => {
    const failed = process.env.WEB_FAILED_RUN;
    assert(failed, 'WEB_FAILED_RUN is not set');
    await go(page, `#/runs/${failed}`);
    await page.waitForFunction(() => document.querySelector('.run-head')?.dataset.status === 'failed');
    await page.waitForFunction(() => document.querySelector('.log')?.textContent.includes('about to fail'));
    await page.click('#retry');
    await page.waitForFunction((f) => /^#\/runs\/\d+$/.test(location.hash) && location.hash !== `#/runs/${f}`, {}, failed);
    await page.waitForFunction(() => document.querySelector('.run-head')?.dataset.status === 'failed');
    const text = await page.$eval('.run-head', (e) => e.textContent);
    assert(text.includes('broken'), text);
  });
  await test('runs list filters by status', async () => {
    await go(page, '#/runs?status=success');
    const statuses = await page.$$eval('main tbody .badge', (b) => b.map((x) => x.textContent));
    assert(statuses.length >= 2 && statuses.every((s) => s === 'success'), `statuses ${statuses}`);
    await shot(page, shots, 'runs');
  });
  await test('axe: runs has no serious violations', () => axe(page, 'runs'));

  await test('a table opens at an older snapshot with that snapshot\'s rows', async () => {
    await go(page, '#/tables');
    await shot(page, shots, 'tables');
    await go(page, '#/tables/raw.holdings');
    await page.waitForSelector('.preview[data-snapshot="current"]');
    const current = await page.$eval('.preview .grid', (g) => g.getAttribute('aria-label'));
    assert(/: 11 rows/.test(current), `current preview: ${current}`);
    const buttons = await page.$$('button.preview-at');
    assert(buttons.length >= 2, 'one snapshot only');
    await buttons[buttons.length - 1].click();
    await page.waitForFunction(() => /^\d+$/.test(document.querySelector('.preview')?.dataset.snapshot || ''));
    const older = await page.$eval('.preview .grid', (g) => g.getAttribute('aria-label'));
    assert(/: 10 rows/.test(older), `older preview: ${older}`);
    await shot(page, shots, 'table');
  });
  await test('axe: table has no serious violations', () => axe(page, 'table'));

  await test('a lineage node is followed to its table', async () => {
    await go(page, '#/lineage');
    await page.waitForSelector('svg a.node');
    await shot(page, shots, 'lineage');
    await page.click('svg a.node[data-node="markets.positions"]');
    await page.waitForFunction(() => document.querySelector('main')?.dataset.ready === 'tables' && location.hash === '#/tables/markets.positions');
    const h1 = await page.$eval('main h1', (e) => e.textContent);
    assert(h1 === 'markets.positions', h1);
  });
  await test('lineage marks a failed model and the stale ones', async () => {
    await go(page, '#/lineage');
    await page.waitForSelector('[data-node="markets.broken"]');
    const marks = await page.$$eval('[data-node]', (ns) => Object.fromEntries(ns.map((n) => [n.dataset.node, n.getAttribute('class')])));
    assert(/\bfailed\b/.test(marks['markets.broken']), `markets.broken: ${marks['markets.broken']}`);
    assert(/\bstale\b/.test(marks['markets.positions']), `markets.positions: ${marks['markets.positions']}`);
    assert(!/\b(stale|failed)\b/.test(marks['markets.daily_returns']), `markets.daily_returns: ${marks['markets.daily_returns']}`);
    const title = await page.$eval('[data-node="markets.broken"] title', (t) => t.textContent);
    assert(title.includes('(failed)'), title);
  });
  await test('axe: lineage has no serious violations', async () => { await go(page, '#/lineage'); await axe(page, 'lineage'); });

  await test('a saved pinned query shows on the home dashboard', async () => {
    await go(page, '#/sql');
    await page.click('.cm-content');
    await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
    await page.keyboard.type('select month, value_chf from markets.monthly_value order by month');
    await page.click('#run');
    await page.waitForSelector('.results[data-rows]');
    await page.type('#save-name', 'Portfolio value');
    await page.click('#save');
    await page.waitForFunction(() => document.querySelector('.status')?.textContent.includes('pinned'));
    await go(page, '#/');
    await page.waitForFunction(() => document.querySelector('.pin canvas'));
  });

  await test('dark theme applies', async () => {
    await page.click('#theme');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(bg === 'rgb(13, 17, 23)', bg);
    await page.waitForFunction(() => document.querySelector('main')?.dataset.ready === 'home');
    await page.waitForFunction(() => document.querySelector('.pin canvas'));
    await shot(page, shots, 'home-dark');
    await axe(page, 'home (dark)');
    await page.click('#theme');
  });

  const phone = await newPage(390, 844);
  await test('phone layout has no horizontal overflow on any page', async () => {
    await phone.goto(base, { waitUntil: 'load' });
    await phone.waitForFunction(() => document.querySelector('main')?.dataset.ready === 'home');
    for (const hash of ['#/', '#/runs', '#/tables', '#/tables/raw.prices', '#/lineage', '#/sql']) {
      await go(phone, hash);
      const over = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(over <= 0, `${hash} overflows by ${over}px`);
      if (hash === '#/') await shot(phone, shots, 'phone-home');
    }
  });
  await test('no console errors on any page', async () => { assert(!consoleErrors.length, consoleErrors.join(' | ')); });
}

async function tokenMode(token) {
  const page = await newPage();
  await test('the page asks for the token and logs in', async () => {
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForSelector('form.login #token');
    await page.type('#token', 'not-the-token-at-all');
    await page.click('form.login button');
    await page.waitForFunction(() => document.querySelector('form.login .error')?.textContent.includes('wrong token'));
    await page.$eval('#token', (i) => { i.value = ''; });
    await page.type('#token', token);
    await page.click('form.login button');
    await page.waitForFunction(() => document.querySelector('main')?.dataset.ready === 'home');
  });
  let cookie;
  await test('the session cookie is HttpOnly and SameSite=Strict', async () => {
    const cookies = await page.cookies();
    cookie = cookies.find((c) => c.name === 'pond_session');
    assert(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
    const seen = await page.evaluate(() => document.cookie);
    assert(!seen.includes('pond_session'), 'script can read the cookie');
  });
  await test('a state-changing request without the CSRF token is refused', async () => {
    const headers = { Cookie: `pond_session=${cookie.value}`, 'Content-Type': 'application/json' };
    const body = JSON.stringify({ name: 'x', sql: 'select 1' });
    const bad = await fetch(`${base}/api/queries`, { method: 'POST', headers, body });
    assert(bad.status === 403, `without CSRF: ${bad.status}`);
    const s = await (await fetch(`${base}/api/session`, { headers })).json();
    const good = await fetch(`${base}/api/queries`, { method: 'POST', headers: { ...headers, 'X-Pond-CSRF': s.csrf }, body });
    assert(good.status === 201, `with CSRF: ${good.status}`);
    const cross = await fetch(`${base}/api/queries`, { method: 'POST', headers: { ...headers, 'X-Pond-CSRF': s.csrf, Origin: 'http://evil.example' }, body });
    assert(cross.status === 403, `cross-site Origin: ${cross.status}`);
    const get = await fetch(`${base}/api/tables`, { headers });
    assert(get.status === 200, `GET with the cookie: ${get.status}`);
  });
  await test('axe: login form has no serious violations', async () => {
    const p2 = await browser.createBrowserContext().then((c) => c.newPage());
    await p2.goto(base, { waitUntil: 'load' });
    await p2.waitForSelector('form.login #token');
    await axe(p2, 'login');
  });
}

async function benchMode() {
  const page = await newPage();
  // Warm: the server's catalog connections and the browser's cache of nothing.
  // The page's own clock: navigation start to the home page drawn (main.js
  // records performance.now() when a page is ready).
  const readyAt = () => page.waitForFunction(() => window.pondReadyMs).then((h) => h.jsonValue());
  await page.goto(base, { waitUntil: 'load' });
  const cold = await readyAt();
  const times = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(`${base}/?r=${i}`, { waitUntil: 'load' });
    times.push(await readyAt());
  }
  times.sort((a, b) => a - b);
  console.log(`home interactive: first load ${cold.toFixed(0)} ms, median of 5 reloads ${times[2].toFixed(0)} ms (navigation start to pipelines drawn)`);
  await go(page, '#/sql');
  await page.waitForSelector('.cm-content');
  await page.select('#sql-limit', '100000');
  await page.click('.cm-content');
  await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
  await page.keyboard.type('select p.*, r.range as copy from raw.prices p, range(2) r limit 100000');
  await page.click('#run');
  await page.waitForSelector('.results[data-rows]');
  const r = await page.$eval('.results', (e) => ({ rows: e.dataset.rows, ms: e.dataset.renderMs }));
  // Frames while scrolling through the grid, against idle frames of the same page.
  const frames = await page.evaluate(async () => {
    const g = document.querySelector('.grid');
    const frame = () => new Promise((res) => requestAnimationFrame(res));
    let s = performance.now();
    for (let i = 1; i <= 30; i++) await frame();
    const idle = (performance.now() - s) / 30;
    s = performance.now();
    for (let i = 1; i <= 30; i++) { g.scrollTop = (g.scrollHeight * i) / 30; await frame(); }
    return { idle, scroll: (performance.now() - s) / 30 };
  });
  console.log(`100,000-row result: ${r.rows} rows shown (grid + chart) in ${r.ms} ms after the response; ` +
    `scrolling ${frames.scroll.toFixed(1)} ms per frame (idle frames of the same page: ${frames.idle.toFixed(1)} ms)`);
}

try {
  if (mode === 'all') {
    await openMode(more[1]);
    base = extra;
    await tokenMode(more[0]);
  } else if (mode === 'open') await openMode(extra);
  else if (mode === 'token') await tokenMode(extra);
  else if (mode === 'bench') await benchMode();
  else throw new Error(`unknown mode ${mode}`);
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
