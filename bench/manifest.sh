#!/usr/bin/env bash
# Benchmark: write and read a manifest of 100,000 entries (a day partition,
# stats for 3 columns) with pond, streaming in bounded memory; reference in
# the same run: avsc (node), an independent Avro reader, decoding the same
# file. Prints times, peak RSS and the read ratio pond / avsc.
. "$(dirname "$0")/lib.sh"
N=${N:-100000}
RUNS=${RUNS:-3}
make -C "$ROOT" --no-print-directory -s build/libpond.a
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -isystem "$DUCKDB_INC" -o "$BENCH_BUILD/manifest" \
  "$ROOT/bench/manifest.c" "$ROOT/build/libpond.a" $(pkg-config --libs jansson zlib libzstd) -lsnappy -lm -lpthread
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
best_w= ; best_r= ; line=
for ((i = 0; i < RUNS; i++)); do
  rm -f "$T/m.avro"
  line=$("$BENCH_BUILD/manifest" "$T/m.avro" "$N")
  w=$(echo "$line" | awk '{ print $6 }'); r=$(echo "$line" | awk '{ print $8 }')
  [ -z "$best_w" ] || [ "$(echo "$w < $best_w" | bc -l)" = 1 ] && best_w=$w
  [ -z "$best_r" ] || [ "$(echo "$r < $best_r" | bc -l)" = 1 ] && best_r=$r
done
echo "pond: $line"
# avsc: decode every record (no printing), timed inside node.
node_ms=$(cd "$ROOT/tests/node" && node -e '
  const avro = require("avsc"), zlib = require("zlib");
  const longType = avro.types.LongType.__with({
    fromBuffer: (b) => b.readBigInt64LE(), toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
    fromJSON: BigInt, toJSON: Number, isValid: (n) => typeof n == "bigint", compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1) });
  let best = 1e9;
  const runs = Number(process.argv[2]);
  (async () => {
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint(); let n = 0;
      await new Promise((res, rej) => avro.createFileDecoder(process.argv[1], {
        codecs: { deflate: zlib.inflateRaw, null: (b, cb) => cb(null, b) },
        parseHook: (s) => avro.Type.forSchema(s, { wrapUnions: false, registry: { long: longType } }) })
        .on("data", () => n++).on("end", res).on("error", rej));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6; if (ms < best) best = ms;
      if (n !== Number(process.argv[3])) throw new Error("avsc read " + n + " records");
    }
    console.log(best.toFixed(1));
  })().catch((e) => { console.error(e.message); process.exit(1); });
' "$T/m.avro" "$RUNS" "$N")
ratio=$(echo "$best_r / $node_ms" | bc -l)
printf 'manifest %d entries: pond write %s ms, pond read %s ms (best of %d); avsc read %s ms; read ratio pond/avsc %.2f\n' \
  "$N" "$best_w" "$best_r" "$RUNS" "$node_ms" "$ratio"
