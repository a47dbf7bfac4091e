#!/usr/bin/env node
// Dumps an Avro object container file with avsc, an independent reader, for
// pond's interop tests. Usage: node tests/node/avro_dump.js FILE...
// For each file, in order: {"codec": ..., "meta": {key: value, ...}}
// (avro.schema left out); then one JSON line per record, unions unwrapped,
// bytes and fixed as lower case hex, longs exact (as BigInt); then an empty
// line. One node process reads many files: starting node costs more than
// reading a manifest.
'use strict';

const path = require('path');
const zlib = require('zlib');
const avro = require('avsc');
const fzstd = require('fzstd');

async function main() {
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error('usage: avro_dump.js FILE...');
    process.exit(2);
  }
  const { snappyUncompress } = await import(path.join(__dirname, 'node_modules/hysnappy/hysnappy.js'));

  const longType = avro.types.LongType.__with({
    fromBuffer: (buf) => buf.readBigInt64LE(),
    toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
    fromJSON: BigInt,
    toJSON: Number,
    isValid: (n) => typeof n == 'bigint',
    compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
  });

  const codecs = {
    null: (buf, cb) => cb(null, buf),
    deflate: zlib.inflateRaw,
    zstandard: (buf, cb) => {
      try { cb(null, Buffer.from(fzstd.decompress(new Uint8Array(buf)))); } catch (e) { cb(e); }
    },
    snappy: (buf, cb) => {
      try {
        const body = buf.subarray(0, buf.length - 4);
        let len = 0, shift = 0, i = 0;
        for (;;) {
          const b = body[i++];
          len += (b & 0x7f) * 2 ** shift;
          shift += 7;
          if (!(b & 0x80)) break;
        }
        const out = Buffer.from(snappyUncompress(new Uint8Array(body), len));
        if ((zlib.crc32(out) >>> 0) !== buf.readUInt32BE(buf.length - 4))
          return cb(new Error('snappy checksum mismatch'));
        cb(null, out);
      } catch (e) { cb(e); }
    },
  };

  const replacer = (key, value) => {
    if (typeof value == 'bigint') return '__BIGINT__' + value.toString();
    if (value && value.type === 'Buffer' && Array.isArray(value.data))
      return Buffer.from(value.data).toString('hex');
    return value;
  };
  const stringify = (v) => JSON.stringify(v, replacer).replace(/"__BIGINT__(-?\d+)"/g, '$1');

  const dump = (file) => new Promise((resolve, reject) => {
    const decoder = avro.createFileDecoder(file, {
      codecs,
      parseHook: (schema) => avro.Type.forSchema(schema, { wrapUnions: false, registry: { long: longType } }),
    });
    decoder.on('metadata', (type, codec, header) => {
      const meta = {};
      for (const k of Object.keys(header.meta))
        if (k !== 'avro.schema') meta[k] = header.meta[k].toString('utf8');
      process.stdout.write(stringify({ codec, meta }) + '\n');
    });
    decoder.on('data', (record) => process.stdout.write(stringify(record) + '\n'));
    decoder.on('end', () => { process.stdout.write('\n'); resolve(); });
    decoder.on('error', (e) => reject(new Error(file + ': ' + e.message)));
  });
  for (const file of files)
    await dump(file);
}

main().catch((e) => {
  console.error('avro_dump: ' + e.message);
  process.exit(1);
});
