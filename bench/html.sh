#!/usr/bin/env bash
# Web-page tables: a saved page holding a ROWS-row <table> (five columns:
# an id, text with entities, amounts with thousands separators and
# parentheses, percents, dates) parsed into a grid of cells with its
# numbers read (bench/html_parse.c, the html source's own functions; the
# target: under 0.5 s for 10,000 rows), and loaded end to end with
#   pond ingest page.html --html --table ...
# against `pond ingest` of the same rows as CSV in the same script.
#   ROWS=10000 RUNS=5 bench/html.sh
. "$(dirname "$0")/lib.sh"
ROWS=${ROWS:-10000}
RUNS=${RUNS:-5}
T=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-html-XXXXXX"); trap 'rm -rf "$T"' EXIT
"$POND" init --bare "$T/p" > /dev/null
cd "$T/p"

python3 - "$ROWS" "$T/page.html" "$T/rows.csv" <<'PY'
import random, sys
n, page, csv = int(sys.argv[1]), sys.argv[2], sys.argv[3]
random.seed(1)
out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Quotes</title></head><body>",
       "<table class='quotes'><thead><tr><th>ID</th><th>Name</th><th>Amount</th><th>Change</th><th>Date</th></tr></thead><tbody>"]
lines = ["id,name,amount,change,date"]
for i in range(1, n + 1):
    v = random.randint(-10**9, 10**9) / 100
    amount = ("(%s)" % format(-v, ",.2f")) if v < 0 else format(v, ",.2f")
    pct = random.randint(-999, 999) / 100
    day = "%04d-%02d-%02d" % (2000 + i % 25, 1 + i % 12, 1 + i % 28)
    out.append("<tr><td>%d</td><td>Caf&eacute; &amp; Co %d</td><td>%s</td><td>%+.2f%%</td><td>%s</td></tr>" % (i, i, amount, pct, day))
    lines.append("%d,Café & Co %d,%.2f,%.2f,%s" % (i, i, v, pct, day))
out.append("</tbody></table></body></html>")
open(page, "w").write("\n".join(out))
open(csv, "w").write("\n".join(lines) + "\n")
PY
kb=$(( $(stat -c %s "$T/page.html") / 1024 ))

make -C "$ROOT" --no-print-directory -s build/libpond.a
cc -O2 -std=c11 -D_GNU_SOURCE -I"$ROOT/include" -I"$ROOT/src" -isystem "$DUCKDB_INC" $(pkg-config --cflags libxml-2.0) \
  -o "$BENCH_BUILD/html_parse" "$ROOT/bench/html_parse.c" "$ROOT/build/libpond.a" -L"$DUCKDB_LIB" \
  -Wl,-rpath,"$DUCKDB_LIB" -lduckdb $(pkg-config --libs jansson sqlite3 libcurl libpq zlib libzstd yaml-0.1 libxml-2.0 libcrypto) \
  -lsnappy -lm -lpthread
set -- $("$BENCH_BUILD/html_parse" "$T/page.html" 2 "$RUNS")
parse_ms=$1 parse_cpu=$2
[ "$3" -eq "$ROWS" ] || { echo "html: parsed $3 rows, want $ROWS" >&2; exit 1; }

cat > sources/page.yml <<YML
type: html
table: bench.typed
url: $T/page.html
columns:
  id: integer
  amount: number
  change: percent
  date: {type: date, format: "%Y-%m-%d"}
YML
seq_no=0
load_html() { seq_no=$((seq_no + 1)); "$POND" ingest "$T/page.html" --html --table "bench.h$seq_no" -q; }
load_typed() { "$POND" ingest page -q --json > /dev/null; }
load_csv() { seq_no=$((seq_no + 1)); "$POND" ingest "$T/rows.csv" --table "bench.c$seq_no" -q; }
html_ms=$(median_ms "$RUNS" load_html)
typed_ms=$(median_ms 1 load_typed)
csv_ms=$(median_ms "$RUNS" load_csv)
# The typed load equals the CSV's numbers.
got=$("$POND" sql "select count(*), sum(amount)::decimal(18,2), round(sum(change) * 100, 2) from bench.typed" --format csv | tail -n 1)
want=$("$POND" sql "select count(*), sum(amount)::decimal(18,2), round(sum(change), 2) from bench.c1" --format csv | tail -n 1)
[ "$got" = "$want" ] || { echo "html: typed load $got, CSV $want" >&2; exit 1; }
printf 'html: %d-row table (%d KB): parse %.1f ms wall, %.1f ms CPU (target < 500); pond ingest --html %.0f ms, typed source %.0f ms, same rows as CSV %.0f ms (%.2fx)\n' \
  "$ROWS" "$kb" "$parse_ms" "$parse_cpu" "$html_ms" "$typed_ms" "$csv_ms" "$(echo "$html_ms / $csv_ms" | bc -l)"
