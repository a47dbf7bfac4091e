// pond's S3 test server: s3rver (an S3-protocol server from the npm
// registry, storing objects in a folder) behind a small proxy that adds
// what the tests need and s3rver lacks:
//
//   - SigV4 checking. s3rver accepts any signature; the proxy recomputes
//     every signature independently (node's crypto, its own canonical
//     request) and answers 403 SignatureDoesNotMatch on a mismatch, so the
//     tests prove that pond signs what it sends. Keys: S3RVER/S3RVER and
//     pondtest/pondtestsecret (session token "pondtoken" required with
//     the key pondsession/pondsessionsecret).
//   - Virtual-hosted addressing: Host "BUCKET.localhost:PORT" is turned
//     into a path-style request.
//   - Faults, per bucket: 503 SlowDown, 500, dropping the connection
//     (before an answer, halfway through an upload's body), 403.
//   - AbortMultipartUpload (s3rver answers 405) and, per bucket on
//     request, If-None-Match: * on PUT (s3rver ignores it and overwrites).
//   - A request log per bucket and the count of pending multipart uploads.
//
// Control endpoints (never a bucket: bucket names have no '_'):
//   POST /__pond/faults      {"bucket": B, "rules": [{"method": "PUT",
//                            "query": "partNumber" or "partNumber=3", "key": "substring",
//                            "action": "503"|"500"|"403"|"drop"|"drop-body",
//                            "times": N}], "conditional": true}
//   GET  /__pond/log?bucket=B        [{method, key, query, style, sig, status,
//                                      ifNoneMatch, range, requestPayer}]
//   GET  /__pond/uploads?bucket=B    {"pending": N}
//
// s3rver 3.7.1 makes ListObjectsV2 continuation tokens with DES: node
// must run with --openssl-legacy-provider (tests/s3/start.sh does).
//
// Usage: node tests/s3/server.js DIR   (prints http://127.0.0.1:PORT when
// listening; objects are kept under DIR/data).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const S3rver = require('s3rver');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: server.js DIR');
  process.exit(2);
}
const SECRETS = { S3RVER: 'S3RVER', pondtest: 'pondtestsecret', pondsession: 'pondsessionsecret' };
const TOKENS = { pondsession: 'pondtoken' };
const buckets = new Map(); // name -> {rules, conditional, log}

function bucketState(name) {
  if (!buckets.has(name)) buckets.set(name, { rules: [], conditional: false, log: [] });
  return buckets.get(name);
}

// ---- SigV4, written from AWS's description of the algorithm ----

function encode(s, keepSlash) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch (e) {
    return s;
  }
}

function canonicalQuery(raw) {
  if (!raw) return '';
  return raw
    .split('&')
    .filter((p) => p.length)
    .map((p) => {
      const i = p.indexOf('=');
      const k = i < 0 ? p : p.slice(0, i);
      const v = i < 0 ? '' : p.slice(i + 1);
      return [encode(decode(k), false), encode(decode(v), false)];
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => k + '=' + v)
    .join('&');
}

function headerValues(req, name) {
  const vals = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === name) vals.push(req.rawHeaders[i + 1].trim().replace(/\s+/g, ' '));
  }
  return vals.join(',');
}

function hmac(key, data) {
  return crypto.createHmac('sha256', key).update(data).digest();
}

// Returns 'none' (no Authorization), 'ok', or a reason the check failed.
function checkSignature(req, rawPath, rawQuery, body) {
  const auth = req.headers['authorization'];
  if (!auth) return 'none';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return 'malformed Authorization header';
  const [, id, date, region, signedHeaders, signature] = m;
  if (!(id in SECRETS)) return 'unknown access key ' + id;
  const amzDate = req.headers['x-amz-date'] || '';
  if (amzDate.slice(0, 8) !== date) return 'x-amz-date does not match the credential scope';
  const names = signedHeaders.split(';');
  for (const must of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!names.includes(must)) return must + ' is not signed';
  }
  if (id in TOKENS && (req.headers['x-amz-security-token'] !== TOKENS[id] || !names.includes('x-amz-security-token')))
    return 'missing or unsigned session token';
  const payload = req.headers['x-amz-content-sha256'];
  if (payload !== 'UNSIGNED-PAYLOAD' && payload !== crypto.createHash('sha256').update(body).digest('hex'))
    return 'x-amz-content-sha256 does not match the body';
  const path = rawPath.split('/').map((seg) => encode(decode(seg), false)).join('/');
  const canonical = [
    req.method,
    path || '/',
    canonicalQuery(rawQuery),
    names.map((n) => n + ':' + headerValues(req, n) + '\n').join(''),
    signedHeaders,
    payload,
  ].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', amzDate, scope, crypto.createHash('sha256').update(canonical).digest('hex')].join('\n');
  let k = hmac('AWS4' + SECRETS[id], date);
  k = hmac(k, region);
  k = hmac(k, 's3');
  k = hmac(k, 'aws4_request');
  const expected = hmac(k, sts).toString('hex');
  return expected === signature ? 'ok' : 'signature does not match (canonical request: ' + JSON.stringify(canonical) + ')';
}

// ---- answers ----

function xmlError(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function uploadsDir(bucket) {
  return path.join(dir, 'data', bucket, '._S3rver_uploads');
}

function pendingUploads(bucket) {
  try {
    return fs.readdirSync(uploadsDir(bucket)).length;
  } catch (e) {
    return 0;
  }
}

function control(req, res, url, body) {
  const bucket = url.searchParams.get('bucket');
  if (req.method === 'POST' && url.pathname === '/__pond/faults') {
    const spec = JSON.parse(body.toString() || '{}');
    const st = bucketState(spec.bucket);
    for (const r of spec.rules || []) st.rules.push({ times: 1, ...r });
    if ('conditional' in spec) st.conditional = !!spec.conditional;
    return json(res, { ok: true });
  }
  if (url.pathname === '/__pond/log') return json(res, bucketState(bucket).log);
  if (url.pathname === '/__pond/uploads') return json(res, { pending: pendingUploads(bucket) });
  return xmlError(res, 404, 'NoSuchControl', url.pathname);
}

// A rule's "query" is a parameter name ("partNumber") or name=value.
function queryMatches(rawQuery, want) {
  return (rawQuery || '').split('&').some((p) => p === want || p.split('=')[0] === want);
}

function takeRule(st, req, key, rawQuery) {
  for (const r of st.rules) {
    if (r.times <= 0 || r.action === 'drop-body') continue;
    if (r.method && r.method !== req.method) continue;
    if (r.query && !queryMatches(rawQuery, r.query)) continue;
    if (r.key && !key.includes(r.key)) continue;
    r.times--;
    return r;
  }
  return null;
}

// Splits a request into bucket, key and addressing style.
function address(req, rawPath) {
  const host = (req.headers.host || '').split(':')[0];
  if (host.endsWith('.localhost')) {
    return { bucket: host.slice(0, -'.localhost'.length), key: decode(rawPath.slice(1)), style: 'virtual' };
  }
  const rest = rawPath.slice(1);
  const i = rest.indexOf('/');
  return {
    bucket: decode(i < 0 ? rest : rest.slice(0, i)),
    key: i < 0 ? '' : decode(rest.slice(i + 1)),
    style: 'path',
  };
}

function forward(req, res, target, bucket, key, rawQuery, body, entry) {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === 'authorization' || k === 'host' || k.startsWith('x-amz-')) continue;
    headers[k] = v;
  }
  headers['content-length'] = body.length;
  let p = '/' + encode(bucket, false) + (key ? '/' + encode(key, true) : '');
  if (rawQuery) p += '?' + rawQuery;
  const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: p, headers }, (ur) => {
    entry.status = ur.statusCode;
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
  });
  up.on('error', (e) => xmlError(res, 502, 'ProxyError', e.message));
  up.end(body);
}

function exists(target, bucket, key) {
  return new Promise((resolve) => {
    const p = '/' + encode(bucket, false) + '/' + encode(key, true);
    http
      .request({ host: '127.0.0.1', port: target, method: 'HEAD', path: p }, (r) => {
        r.resume();
        resolve(r.statusCode === 200);
      })
      .on('error', () => resolve(false))
      .end();
  });
}

async function handle(req, res, body, target) {
  const url = new URL(req.url, 'http://x');
  const qi = req.url.indexOf('?');
  const rawPath = qi < 0 ? req.url : req.url.slice(0, qi);
  const rawQuery = qi < 0 ? '' : req.url.slice(qi + 1);
  if (url.pathname.startsWith('/__pond/')) return control(req, res, url, body);
  const { bucket, key, style } = address(req, rawPath);
  const st = bucketState(bucket);
  const sig = checkSignature(req, rawPath, rawQuery, body);
  const entry = {
    method: req.method, key, query: rawQuery, style, sig, status: 0,
    ifNoneMatch: req.headers['if-none-match'] || null, range: req.headers['range'] || null,
    requestPayer: req.headers['x-amz-request-payer'] || null,
  };
  st.log.push(entry);
  if (sig !== 'ok' && sig !== 'none') {
    entry.status = 403;
    return xmlError(res, 403, 'SignatureDoesNotMatch', sig.replace(/[<&>]/g, ' '));
  }
  const rule = takeRule(st, req, key, rawQuery);
  if (rule) {
    entry.fault = rule.action;
    if (rule.action === 'drop') return req.socket.destroy();
    entry.status = Number(rule.action);
    if (rule.action === '503') return xmlError(res, 503, 'SlowDown', 'Please reduce your request rate.');
    if (rule.action === '500') return xmlError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    if (rule.action === '403') return xmlError(res, 403, 'AccessDenied', 'Access Denied');
  }
  if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
    fs.rmSync(path.join(uploadsDir(bucket), path.basename(url.searchParams.get('uploadId'))), { recursive: true, force: true });
    entry.status = 204;
    res.writeHead(204);
    return res.end();
  }
  if (st.conditional && req.headers['if-none-match'] === '*' && key &&
      (req.method === 'PUT' || (req.method === 'POST' && url.searchParams.has('uploadId'))) &&
      !url.searchParams.has('partNumber') && (await exists(target, bucket, key))) {
    entry.status = 412;
    return xmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
  forward(req, res, target, bucket, key, rawQuery, body, entry);
}

async function main() {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(dir, 'data') });
  const { port: target } = await s3.run();
  const proxy = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const st = url.pathname.startsWith('/__pond/') ? null : bucketState(address(req, url.pathname).bucket);
    // A "drop-body" fault cuts the connection halfway through the body.
    const qi = req.url.indexOf('?');
    const peek = st && st.rules.find((r) => r.action === 'drop-body' && r.times > 0 &&
      (!r.method || r.method === req.method) &&
      (!r.query || (qi >= 0 && queryMatches(req.url.slice(qi + 1), r.query))));
    const length = Number(req.headers['content-length'] || 0);
    const chunks = [];
    let got = 0;
    req.on('data', (c) => {
      chunks.push(c);
      got += c.length;
      if (peek && peek.times > 0 && got * 2 >= length) {
        peek.times--;
        st.log.push({ method: req.method, key: address(req, url.pathname).key, query: url.search.slice(1), fault: 'drop-body' });
        req.socket.destroy();
      }
    });
    req.on('end', () => {
      if (req.socket.destroyed) return;
      handle(req, res, Buffer.concat(chunks), target).catch((e) => xmlError(res, 500, 'ProxyError', String(e.message)));
    });
  });
  proxy.keepAliveTimeout = 60000;
  proxy.listen(0, '127.0.0.1', () => {
    process.stdout.write(`http://127.0.0.1:${proxy.address().port}\n`);
  });
  const stop = () => proxy.close(() => s3.close().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  console.error('server.js: ' + (e.stack || e));
  process.exit(1);
});
