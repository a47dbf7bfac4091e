// Reads an Iceberg table with icebird, an independent JavaScript reader,
// and prints its rows as JSON lines. Used by the end-to-end tests to check
// that tables pond writes open elsewhere.
//
//   node tests/node/iceberg_read.mjs TABLE_LOCATION METADATA_FILE_NAME
//
// icebird fetches every file by URL; tables pond writes on local disk
// record absolute paths, so fetch is given local files here (with the HEAD
// and Range requests hyparquet makes). Tables on S3 are read from the S3
// server POND_ICEBIRD_S3_ENDPOINT names (pond's test server).
import { open, stat } from 'node:fs/promises'
import { icebergRead } from 'icebird'

const realFetch = globalThis.fetch
// A table on S3: icebird asks https://BUCKET.s3.amazonaws.com/KEY for
// s3://BUCKET/KEY; with POND_ICEBIRD_S3_ENDPOINT (the test server's URL)
// that goes to ENDPOINT/BUCKET/KEY instead, unsigned, over plain HTTP.
const s3Endpoint = process.env.POND_ICEBIRD_S3_ENDPOINT
const awsHost = /^https:\/\/([^./]+)\.s3\.amazonaws\.com(\/.*)$/
globalThis.fetch = async (input, init = {}) => {
  const url = typeof input === 'string' ? input : input.url
  const s3 = s3Endpoint && awsHost.exec(url)
  if (s3) return realFetch(`${s3Endpoint}/${s3[1]}${s3[2]}`, init)
  if (!url.startsWith('/') && !url.startsWith('file://')) return realFetch(input, init)
  const path = decodeURIComponent(url.replace(/^file:\/\//, ''))
  const size = (await stat(path)).size
  const headers = new Headers(init.headers || {})
  if ((init.method || 'GET') === 'HEAD') {
    return new Response(null, { status: 200, headers: { 'content-length': String(size) } })
  }
  let start = 0
  let end = size - 1
  const range = headers.get('range')
  if (range) {
    const m = /bytes=(\d*)-(\d*)/.exec(range)
    if (m[1] === '') { start = Math.max(0, size - Number(m[2])) } else {
      start = Number(m[1])
      if (m[2] !== '') end = Math.min(Number(m[2]), size - 1)
    }
  }
  const fh = await open(path)
  const buf = Buffer.alloc(end - start + 1)
  await fh.read(buf, 0, buf.length, start)
  await fh.close()
  return new Response(buf, {
    status: range ? 206 : 200,
    headers: { 'content-length': String(buf.length) },
  })
}

const [tableUrl, metadataFileName] = process.argv.slice(2)
if (!tableUrl || !metadataFileName) {
  console.error('usage: node iceberg_read.mjs TABLE_LOCATION METADATA_FILE_NAME')
  process.exit(2)
}
const rows = await icebergRead({ tableUrl, metadataFileName })
// Values as JSON can hold them, inside structs and lists too.
const plain = (v) => {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  }
  return v
}
// Written in chunks: a console.log per row made a million-row table take
// 20 s.
let chunk = []
for (const row of rows) {
  const out = {}
  for (const [k, v] of Object.entries(row)) out[k] = plain(v)
  chunk.push(JSON.stringify(out))
  if (chunk.length === 10000) {
    process.stdout.write(chunk.join('\n') + '\n')
    chunk = []
  }
}
if (chunk.length) process.stdout.write(chunk.join('\n') + '\n')
