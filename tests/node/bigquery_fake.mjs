// A local fake of the BigQuery REST API for tests/e2e/bigquery.sh, on
// node's own http and crypto only. Usage: node bigquery_fake.mjs DIR.
//
// On start it generates an RSA key pair and writes DIR/key.json (a
// service-account key whose token_uri is this server), DIR/wrong_key.json
// (the same account with another private key), DIR/expected.ndjson (the
// rows of the all-types query, as DuckDB should read them) and DIR/port.
//
// POST /token checks the assertion as Google does: an RS256 JWT signed by
// the key's private half (verified with the public half), kid, iss, aud,
// scope, iat and exp; anything else is 401 invalid_grant. POST
// /bigquery/v2/projects/P/queries (jobs.query) answers jobComplete: false
// first (the orders query: complete at once, with its first page); GET
// .../queries/JOB (getQueryResults) pages through the rows with pageToken
// and maxResults. Tokens expire in an hour, or in 30 s while the file
// DIR/short_tokens exists; while DIR/revoke exists, every token is
// revoked as a job starts (the next request gets 401). The 2nd getQueryResults request of the server's
// life answers 500 and the 4th 429 (Retry-After: 0). Queries:
//   "SELECT * FROM `proj-1.shop.all_types`"   every type, NULLs, nesting
//   "SELECT * FROM `proj-1.shop.orders`"      DIR/orders.json's rows
//   "... AS q WHERE `F` > LITERAL"            the inner query's rows above it
//   "bad_value"                               a TIMESTAMP that is not one
//   "rows_lost"                               totalRows 3, but 2 rows and no pageToken
//   "repeat_token"                            every page's pageToken is "again"
//   anything else                             400 with a syntax error
// Every request is appended to DIR/requests.log; GET /stats answers the
// counts of tokens issued and queries run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const dir = process.argv[2];
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k) => k.export({ type: 'pkcs8', format: 'pem' });
const EMAIL = 'loader@proj-1.iam.gserviceaccount.com';
const KID = 'kid-0123456789';
const SCOPE = 'https://www.googleapis.com/auth/bigquery.readonly';
let tokenUri = '';
const tokens = new Set();
const stats = { tokens: 0, queries: 0, results: 0 };
const jobs = new Map();

// ---- the all-types rows: values kept here, wire form and expected form derived ----

const US = 1000000n;
// BigQuery sends TIMESTAMP as seconds in float or exponent notation.
function wireTimestamp(us, style) {
  const neg = us < 0n;
  const a = neg ? -us : us;
  let s = (a / US).toString() + '.' + (a % US).toString().padStart(6, '0');
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (style === 1) return (neg ? '-' : '') + s;
  // d.dddE<n>: the digits with the point after the first
  let [ip, fp = ''] = s.split('.');
  let digits = (ip + fp).replace(/^0+/, '');
  const exp = ip === '0' ? -(fp.length - fp.replace(/^0+/, '').length) - 1 : ip.length - 1;
  if (digits === '') return '0.0';
  digits = digits.replace(/0+$/, '') || '0';
  return (neg ? '-' : '') + digits[0] + '.' + (digits.slice(1) || '0') + 'E' + exp;
}
function isoTimestamp(us) {
  const ms = us >= 0n ? us / 1000n : -((-us + 999n) / 1000n);
  const rest = us - ms * 1000n;
  const d = new Date(Number(ms));
  const base = d.toISOString().replace('T', ' ').replace('Z', '');  // YYYY-MM-DD HH:MM:SS.mmm
  return base + rest.toString().padStart(3, '0') + '+00';
}

const schema = {
  fields: [
    { name: 'id', type: 'INTEGER', mode: 'REQUIRED' },
    { name: 'i', type: 'INT64', mode: 'NULLABLE' },
    { name: 'f', type: 'FLOAT', mode: 'NULLABLE' },
    { name: 'n', type: 'NUMERIC', mode: 'NULLABLE' },
    { name: 'bn', type: 'BIGNUMERIC', mode: 'NULLABLE' },
    { name: 'b', type: 'BOOLEAN', mode: 'NULLABLE' },
    { name: 's', type: 'STRING', mode: 'NULLABLE' },
    { name: 'by', type: 'BYTES', mode: 'NULLABLE' },
    { name: 'ts', type: 'TIMESTAMP', mode: 'NULLABLE' },
    { name: 'd', type: 'DATE', mode: 'NULLABLE' },
    { name: 't', type: 'TIME', mode: 'NULLABLE' },
    { name: 'dt', type: 'DATETIME', mode: 'NULLABLE' },
    { name: 'j', type: 'JSON', mode: 'NULLABLE' },
    { name: 'g', type: 'GEOGRAPHY', mode: 'NULLABLE' },
    { name: 'rec', type: 'RECORD', mode: 'NULLABLE', fields: [
      { name: 'a', type: 'INTEGER', mode: 'NULLABLE' },
      { name: 'tags', type: 'STRING', mode: 'REPEATED' },
      { name: 'inner', type: 'STRUCT', mode: 'NULLABLE', fields: [
        { name: 'x', type: 'FLOAT64', mode: 'NULLABLE' },
        { name: 'raw', type: 'BYTES', mode: 'NULLABLE' },
      ] },
    ] },
    { name: 'arr', type: 'INTEGER', mode: 'REPEATED' },
    { name: 'blobs', type: 'BYTES', mode: 'REPEATED' },
    { name: 'recs', type: 'RECORD', mode: 'REPEATED', fields: [
      { name: 'k', type: 'STRING', mode: 'NULLABLE' },
      { name: 'v', type: 'TIMESTAMP', mode: 'NULLABLE' },
    ] },
  ],
};

const floats = ['NaN', 'Infinity', '-Infinity', '0.1', '-2.5E-300', '1.7976931348623157E308', '3'];
const numerics = ['99999999999999999999999999999.999999999', '-0.000000001', '0', '123.45', '-7'];
const tsValues = [1712345678123456n, 0n, -15n, 253402300799999999n, -62135596800000000n, 1700000000500000n,
  86400000001n];
const strings = ['plain', 'quote " and \\ backslash', 'é ß 日本 🦆', '', 'line\nbreak'];
function bytesOf(i) { return Buffer.from([i, 0, 255, 0x80 + i, 10]); }

const N = 25;
const typed = [];   // [{wire row, expected object}]
for (let i = 0; i < N; i++) {
  const nul = (k) => (i + k) % 6 === 0;   // every nullable column NULL in some rows
  const ts = tsValues[i % tsValues.length];
  const v = {
    id: String(i + 1),
    i: nul(1) ? null : [String(-9223372036854775808n), '9223372036854775807', '0', String(i * 1000 - 7)][i % 4],
    f: nul(2) ? null : floats[i % floats.length],
    n: nul(3) ? null : numerics[i % numerics.length],
    bn: nul(4) ? null : '578960446186580977117854925043439539266.34992332820282019728792003956564819967',
    b: nul(5) ? null : (i % 2 ? 'true' : 'false'),
    s: nul(0) ? null : strings[i % strings.length],
    by: nul(1) ? null : bytesOf(i),
    ts: nul(2) ? null : ts,
    d: nul(3) ? null : ['2024-02-29', '0001-01-01', '9999-12-31', '1970-01-01'][i % 4],
    t: nul(4) ? null : ['00:00:00', '23:59:59.999999', '12:30:00.5', '01:02:03.000004'][i % 4],
    dt: nul(5) ? null : ['2024-02-29T12:34:56.789012', '0001-01-01T00:00:00', '9999-12-31T23:59:59.999999'][i % 3],
    j: nul(0) ? null : JSON.stringify({ k: i, arr: [1, 'two'] }),
    g: nul(1) ? null : `POINT(${i} ${-i})`,
    rec: nul(2) ? null : { a: i % 3 ? String(i) : null, tags: ['x', 'y'].slice(0, i % 3),
      inner: i % 4 === 1 ? null : { x: i % 5 ? String(i / 4) : null, raw: i % 2 ? bytesOf(i + 1) : null } },
    arr: Array.from({ length: i % 4 }, (_, k) => String(k * i)),
    blobs: Array.from({ length: i % 3 }, (_, k) => bytesOf(i + k)),
    recs: Array.from({ length: i % 3 }, (_, k) => ({ k: `k${k}`, v: k ? null : tsValues[(i + k) % tsValues.length] })),
  };
  const cell = (x) => ({ v: x });
  const wire = { f: [
    cell(v.id), cell(v.i), cell(v.f), cell(v.n), cell(v.bn), cell(v.b), cell(v.s),
    cell(v.by === null ? null : v.by.toString('base64')),
    cell(v.ts === null ? null : wireTimestamp(v.ts, i % 2)),
    cell(v.d), cell(v.t), cell(v.dt), cell(v.j), cell(v.g),
    cell(v.rec === null ? null : { f: [cell(v.rec.a), cell(v.rec.tags.map(cell)),
      cell(v.rec.inner === null ? null : { f: [cell(v.rec.inner.x),
        cell(v.rec.inner.raw === null ? null : v.rec.inner.raw.toString('base64'))] })] }),
    cell(v.arr.map(cell)),
    cell(v.blobs.map((b) => cell(b.toString('base64')))),
    cell(v.recs.map((r) => cell({ f: [cell(r.k), cell(r.v === null ? null : wireTimestamp(r.v, 0))] }))),
  ] };
  const hex = (b) => (b === null ? null : b.toString('hex').toUpperCase());
  const expected = {
    id: Number(v.id), i: v.i, f: v.f, n: v.n, bn: v.bn, b: v.b === null ? null : v.b === 'true', s: v.s,
    by: hex(v.by), ts: v.ts === null ? null : isoTimestamp(v.ts), d: v.d, t: v.t,
    dt: v.dt === null ? null : v.dt.replace('T', ' '), j: v.j, g: v.g,
    ra: v.rec && v.rec.a, rtags: v.rec && v.rec.tags, rx: v.rec && v.rec.inner && v.rec.inner.x,
    rraw: v.rec && v.rec.inner && hex(v.rec.inner.raw),
    arr: v.arr, blobs: v.blobs.map(hex), recs: v.recs.map((r) => ({ k: r.k, v: r.v === null ? null : isoTimestamp(r.v) })),
  };
  typed.push({ wire, expected });
}

// ---- JWT checks ----

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}
function checkAssertion(jwt) {
  const parts = (jwt || '').split('.');
  if (parts.length !== 3) return 'not a JWT';
  const ok = crypto.verify('RSA-SHA256', Buffer.from(parts[0] + '.' + parts[1]), publicKey,
    Buffer.from(parts[2], 'base64url'));
  if (!ok) return 'Invalid JWT Signature.';
  const h = b64urlJson(parts[0]);
  const c = b64urlJson(parts[1]);
  if (h.alg !== 'RS256' || h.typ !== 'JWT' || h.kid !== KID) return 'bad header ' + JSON.stringify(h);
  if (c.iss !== EMAIL) return 'bad iss';
  if (c.aud !== tokenUri) return 'bad aud ' + c.aud;
  if (c.scope !== SCOPE) return 'bad scope';
  const now = Math.floor(Date.now() / 1000);
  if (!(c.iat <= now + 60 && c.exp > now && c.exp - c.iat <= 3600)) return 'Invalid JWT: Token must be a short-lived token';
  return null;
}

// ---- queries ----

function tsLiteralUs(lit) {
  // 'YYYY-MM-DD HH:MM:SS[.ffffff]+00' as DuckDB writes a timestamptz
  const m = /^'(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?\+00'$/.exec(lit);
  if (!m) throw new Error('cannot read the literal ' + lit);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return BigInt(ms) * 1000n + BigInt((m[7] || '').padEnd(6, '0'));
}

// DIR/orders.json's rows; a "note" in any of them adds a STRING column
// (the table's schema evolves).
function ordersJob() {
  const rows = JSON.parse(fs.readFileSync(path.join(dir, 'orders.json'), 'utf8'));
  const noted = rows.some((r) => 'note' in r);
  const fields = [
    { name: 'id', type: 'INTEGER', mode: 'REQUIRED' },
    { name: 'updated_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
    { name: 'amount', type: 'NUMERIC', mode: 'NULLABLE' },
  ];
  if (noted) fields.push({ name: 'note', type: 'STRING', mode: 'NULLABLE' });
  return {
    schema: { fields },
    rows: rows.map((r) => ({ ...r, us: BigInt(r.updated_us) })),
    immediate: true,   // jobs.query answers with the first page at once
    wire: (r) => ({ f: [{ v: String(r.id) }, { v: wireTimestamp(r.us, 0) }, { v: r.amount }]
      .concat(noted ? [{ v: r.note === undefined ? null : r.note }] : []) }),
  };
}

function planQuery(q) {
  let filter = null;
  const m = /^SELECT \* FROM \(([\s\S]*)\) AS q WHERE `(\w+)` > (.+)$/.exec(q);
  if (m) {
    q = m[1];
    filter = { field: m[2], literal: m[3] };
  }
  let job;
  if (q === 'SELECT * FROM `proj-1.shop.all_types`') {
    job = { schema, rows: typed.map((t) => t.wire), wire: (r) => r };
  } else if (q === 'SELECT * FROM `proj-1.shop.orders`') {
    job = ordersJob();
    if (filter) {
      if (filter.field !== 'updated_at') throw new Error('unexpected filter on ' + filter.field);
      const above = tsLiteralUs(filter.literal);
      job.rows = job.rows.filter((r) => r.us > above);
    }
  } else if (q === 'bad_value') {
    job = { schema: { fields: [{ name: 'when', type: 'TIMESTAMP' }] }, rows: [{ f: [{ v: '1.5E9' }] }, { f: [{ v: 'soon' }] }],
      wire: (r) => r };
  } else if (q === 'rows_lost' || q === 'repeat_token') {
    const lost = q === 'rows_lost';
    job = { schema: { fields: [{ name: 'n', type: 'INTEGER' }] }, rows: [{ f: [{ v: '1' }] }, { f: [{ v: '2' }] }],
      wire: (r) => r, immediate: true, totalRows: lost ? 3 : undefined, pageToken: lost ? undefined : 'again' };
  } else {
    return null;
  }
  if (filter && q !== 'SELECT * FROM `proj-1.shop.orders`') throw new Error('unexpected filter');
  return job;
}

// ---- the server ----

function send(res, code, obj, headers = {}) {
  const body = JSON.stringify(obj);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
function apiError(res, code, status, message) {
  send(res, code, { error: { code, message, status, errors: [{ message, reason: status.toLowerCase() }] } });
}

// A complete answer: rows [start, start + size) and the next page's token.
function page(job, ref, start, size, kind) {
  const rows = job.rows.slice(start, start + size).map(job.wire);
  const answer = { kind, jobReference: ref, schema: job.schema, totalRows: String(job.totalRows ?? job.rows.length),
    jobComplete: true, rows };
  if (rows.length === 0) delete answer.rows;
  if (start + size < job.rows.length) answer.pageToken = 'p' + (start + size);
  if (job.pageToken) answer.pageToken = job.pageToken;
  return answer;
}

let resultsRequests = 0;
let jobSeq = 0;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    fs.appendFileSync(path.join(dir, 'requests.log'), `${req.method} ${req.url}\n`);
    try {
      handle(req, res, body);
    } catch (e) {
      apiError(res, 500, 'INTERNAL', 'fake: ' + e.message);
    }
  });
});

function handle(req, res, body) {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET' && url.pathname === '/stats') return send(res, 200, stats);
  if (req.method === 'POST' && url.pathname === '/token') {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
    if (!/x-www-form-urlencoded/.test(req.headers['content-type'] || ''))
      return send(res, 400, { error: 'invalid_request', error_description: 'not a form' });
    const why = checkAssertion(form.get('assertion'));
    if (why) return send(res, 401, { error: 'invalid_grant', error_description: why });
    const token = 'ya29.fake-' + crypto.randomBytes(8).toString('hex');
    tokens.add(token);
    stats.tokens++;
    // DIR/short_tokens: tokens that expire in 30 s, inside pond's margin.
    const expires = fs.existsSync(path.join(dir, 'short_tokens')) ? 30 : 3599;
    return send(res, 200, { access_token: token, expires_in: expires, token_type: 'Bearer' });
  }
  const auth = (req.headers.authorization || '').replace(/^Bearer /, '');
  if (!tokens.has(auth))
    return apiError(res, 401, 'UNAUTHENTICATED', 'Request is missing required authentication credential.');
  let m = /^\/bigquery\/v2\/projects\/([^/]+)\/queries$/.exec(url.pathname);
  if (req.method === 'POST' && m) {
    const q = JSON.parse(body);
    if (q.useLegacySql !== false) return apiError(res, 400, 'INVALID_ARGUMENT', 'legacy SQL asked for');
    if (!/application\/json/.test(req.headers['content-type'] || ''))
      return apiError(res, 400, 'INVALID_ARGUMENT', 'not JSON');
    const job = planQuery(q.query);
    if (!job)
      return apiError(res, 400, 'INVALID_ARGUMENT', `Syntax error: Unexpected identifier "${q.query.split(' ')[0]}" at [1:1]`);
    stats.queries++;
    fs.appendFileSync(path.join(dir, 'queries.log'), q.query + '\n');
    const jobId = `job_${++jobSeq}`;
    jobs.set(jobId, job);
    const ref = { projectId: m[1], jobId, location: 'EU' };
    // DIR/revoke: every token is revoked once the job starts.
    if (fs.existsSync(path.join(dir, 'revoke'))) tokens.clear();
    if (job.immediate) return send(res, 200, page(job, ref, 0, q.maxResults || 100000, 'bigquery#queryResponse'));
    return send(res, 200, { kind: 'bigquery#queryResponse', jobReference: ref, jobComplete: false });
  }
  m = /^\/bigquery\/v2\/projects\/([^/]+)\/queries\/([^/]+)$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    const job = jobs.get(m[2]);
    if (!job) return apiError(res, 404, 'NOT_FOUND', `Not found: Job ${m[1]}:${m[2]}`);
    if (url.searchParams.get('location') !== 'EU')
      return apiError(res, 404, 'NOT_FOUND', `Not found: Job ${m[1]}:${m[2]} (location ${url.searchParams.get('location')})`);
    resultsRequests++;
    if (resultsRequests === 2) return apiError(res, 500, 'INTERNAL', 'An internal error occurred.');
    if (resultsRequests === 4) {
      res.setHeader('Retry-After', '0');
      return apiError(res, 429, 'RESOURCE_EXHAUSTED', 'Quota exceeded: too many requests.');
    }
    stats.results++;
    const start = Number((url.searchParams.get('pageToken') || 'p0').slice(1));
    const size = Number(url.searchParams.get('maxResults') || 100000);
    return send(res, 200, page(job, { projectId: m[1], jobId: m[2], location: 'EU' }, start, size,
      'bigquery#getQueryResultsResponse'));
  }
  apiError(res, 404, 'NOT_FOUND', 'no such endpoint ' + url.pathname);
}

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  tokenUri = `http://127.0.0.1:${port}/token`;
  const key = (priv) => JSON.stringify({
    type: 'service_account', project_id: 'proj-1', private_key_id: KID, private_key: pem(priv),
    client_email: EMAIL, client_id: '1234567890', auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  }, null, 2);
  fs.writeFileSync(path.join(dir, 'key.json'), key(privateKey));
  fs.writeFileSync(path.join(dir, 'wrong_key.json'), key(other.privateKey));
  fs.writeFileSync(path.join(dir, 'expected.ndjson'), typed.map((t) => JSON.stringify(t.expected)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'port.tmp'), String(port));
  fs.renameSync(path.join(dir, 'port.tmp'), path.join(dir, 'port'));
});
