#!/usr/bin/env bash
# End-to-end: Excel workbooks into tables with the real pond binary.
# Round trip: what `pond export --xlsx` writes, `pond ingest` reads back
# with the same types and values (compared as `pond sql` output). Files
# written by openpyxl (/usr/bin/python3 writes them here, with every kind
# of cell, in both date systems) load to the values openpyxl itself reads
# back. Then sheets, ranges and header rows from the command line, a
# type: xlsx source, and bad input that commits nothing.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" > /dev/null || { echo "FAIL pond init"; exit 1; }
cd "$P" || exit 1
q() { "$POND" sql "$1" --format json; }
qv() { "$POND" sql "$1" --format tsv | tail -n +2; }

# --- round trip: pond export --xlsx, then pond ingest ---
"$POND" sql "create table raw.src as select * from (values
  (1::bigint, 'plain', 1.25, -7, date '2024-02-29', timestamp '2024-02-29 23:59:59.125', time '08:30:00', true),
  (2, 'ünïcödé \"quoted\" <tag> & amp', -0.001, 0, date '1900-03-01', timestamp '1970-01-01 00:00:00', time '23:59:59', false),
  (3, '  leading and trailing  ', 1e-10, 9007199254740991, date '9999-12-31', timestamp '2000-01-01 12:00:00.5', time '00:00:00', NULL),
  (4, 'line one
line two', 123456.789, NULL, NULL, NULL, NULL, true),
  (5, '007', NULL, 42, date '2024-01-01', timestamp '2024-01-01 06:00:00', time '12:00:00.25', false),
  (6, NULL, 3.5, 1, date '1999-12-31', timestamp '1999-12-31 23:59:59', time '18:45:00', true)
) t(id, name, price, qty, day, ts, t, ok)" > /dev/null
expect_exit "export --xlsx writes the table" 0 "$POND" export "select * from raw.src order by id" --xlsx "$T/rt.xlsx"
expect_exit "ingest reads the workbook back" 0 "$POND" ingest "$T/rt.xlsx" --table raw.back
expect_contains "ingest says how many rows" "$OUT" "loaded 6 rows into raw.back"
expect_eq "round trip: same column names and types" "$(q "describe raw.back")" "$(q "describe raw.src")"
expect_eq "round trip: same rows" "$(q "select * from raw.back order by id")" "$(q "select * from raw.src order by id")"
expect_exit "a small append to the table goes to its row buffer" 0 "$POND" ingest "$T/rt.xlsx" --table raw.back
expect_contains "the output says buffered" "$OUT" "loaded 6 rows into raw.back in"
expect_contains "... and buffered" "$OUT" ", buffered"
expect_eq "buffered rows are read at once" "$(qv "select count(*), count(distinct id) from raw.back")" "12	6"

# --- files written by openpyxl, against what openpyxl reads back ---
cat > "$T/write.py" <<'PY'
import datetime, sys
import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

def book(path, epoch=None):
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.title = "Cells"
    ws.append(["int", "float", "text", "bool", "date", "datetime", "time", "mixed", "formula", "error", "duration"])
    ws.append([1, 1.5, "alpha", True, datetime.date(2024, 2, 29), datetime.datetime(2024, 2, 29, 13, 14, 15, 250000),
               datetime.time(7, 30), 10, "=A2*2", "#N/A", datetime.timedelta(hours=36)])
    ws.append([-2, -0.1, "ünïcödé & <b>", False, datetime.date(1904, 1, 2), datetime.datetime(1999, 12, 31, 23, 59, 59),
               datetime.time(23, 59, 59), "ten", None, "#DIV/0!", datetime.timedelta(minutes=90)])
    ws.append([None, 1e300, "  spaced  ", None, None, None, None, None, None, None, None])
    ws.append([3, None, "", True, datetime.date(9999, 12, 31), datetime.datetime(2024, 1, 1), datetime.time(0, 0, 1),
               2.5, None, None, None])
    ws["C5"] = None
    ws.cell(row=6, column=12, value="far right")   # a column with one value, rows apart
    other = wb.create_sheet("Other")
    other["B2"] = "second sheet"
    wb.save(path)

book(sys.argv[1])
book(sys.argv[2], CALENDAR_MAC_1904)
PY
cat > "$T/compare.py" <<'PY'
# compare.py BOOK.xlsx POND_JSON: the rows openpyxl reads from BOOK's first
# sheet (as values, the header row giving names) against pond's rows.
import datetime, json, sys
import openpyxl

def text(v):
    # pond's text for a value in a VARCHAR column of mixed kinds
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return str(v)

def norm(v, mixed):
    if v is None:
        return None
    if mixed:
        return text(v)
    if isinstance(v, datetime.timedelta):
        return v.total_seconds() / 86400   # elapsed times load as days
    if isinstance(v, datetime.datetime):
        s = v.strftime("%Y-%m-%d %H:%M:%S")
        return s + (".%06d" % v.microsecond).rstrip("0") if v.microsecond else s
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    return v

wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
ws = wb.worksheets[0]
# error cells (#N/A, ...) load as NULL
rows = [[None if c.data_type == "e" else c.value for c in r] for r in ws.iter_rows()]
names, data = [str(n) if n is not None else openpyxl.utils.get_column_letter(i + 1) for i, n in enumerate(rows[0])], rows[1:]
while data and all(v is None or v == "" for v in data[-1]):
    data.pop()
kinds = [set(type(r[i]).__name__ for r in data if r[i] is not None) for i in range(len(names))]
mixed = [len(k - {"int", "float"}) > 0 and len(k) > 1 for k in kinds]
want = [{n: norm(r[i], mixed[i]) for i, n in enumerate(names)} for r in data]
got = json.load(open(sys.argv[2]))
bad = 0
if len(got) != len(want):
    print("rows: pond %d, openpyxl %d" % (len(got), len(want)))
    bad += 1
for i, (g, w) in enumerate(zip(got, want)):
    for n in names:
        gv, wv = g.get(n, "(missing)"), w[n]
        if isinstance(wv, float) and isinstance(gv, (int, float)) and abs(gv - wv) <= 1e-12 * max(1, abs(wv)):
            continue
        # a date-only format loads as DATE; openpyxl gives midnight
        if isinstance(wv, str) and wv.endswith(" 00:00:00") and gv == wv[:-9]:
            continue
        if gv != wv:
            print("row %d column %s: pond %r, openpyxl %r" % (i + 2, n, gv, wv))
            bad += 1
sys.exit(1 if bad else 0)
PY
check "openpyxl writes the workbooks" /usr/bin/python3 "$T/write.py" "$T/opx.xlsx" "$T/opx1904.xlsx"
expect_exit "ingest an openpyxl workbook" 0 "$POND" ingest "$T/opx.xlsx" --table raw.opx
expect_contains "error cells are counted" "$OUT" "2 error cells (#N/A, #DIV/0!, ...) loaded as NULL"
q "select * from raw.opx" > "$T/opx.json"
check "openpyxl workbook: pond's values are openpyxl's" /usr/bin/python3 "$T/compare.py" "$T/opx.xlsx" "$T/opx.json"
expect_eq "openpyxl workbook: column types" \
  "$(qv "select string_agg(column_name || ' ' || column_type, ', ') from (describe raw.opx)")" \
  "int BIGINT, float DOUBLE, text VARCHAR, bool BOOLEAN, date DATE, datetime TIMESTAMP, time TIME, mixed VARCHAR, formula VARCHAR, error VARCHAR, duration DOUBLE, L VARCHAR"
expect_exit "ingest an openpyxl workbook in the 1904 date system" 0 "$POND" ingest "$T/opx1904.xlsx" --table raw.opx1904
q "select * from raw.opx1904" > "$T/opx1904.json"
check "1904 workbook: pond's values are openpyxl's" /usr/bin/python3 "$T/compare.py" "$T/opx1904.xlsx" "$T/opx1904.json"
expect_eq "1904 workbook: dates match the 1900 one" "$(q "select date, datetime from raw.opx1904")" "$(q "select date, datetime from raw.opx")"

# --- sheets, ranges and header rows from the command line ---
"$POND" sql "create table raw.grid as select * from (values ('a', 1, 10), ('b', 2, 20), ('c', 3, 30)) t(k, x, y)" > /dev/null
"$POND" export "select * from raw.grid order by k" --xlsx "$T/grid.xlsx" --sheet Grid -q
expect_exit "--sheet by name, --range" 0 "$POND" ingest "$T/grid.xlsx" --table raw.g1 --sheet Grid --range B1:C3
expect_eq "range B1:C3 with its header" "$(qv "select string_agg(x || ':' || y, ' ' order by x) from raw.g1")" "1:10 2:20"
expect_exit "--sheet by number, --header false" 0 "$POND" ingest "$T/grid.xlsx" --table raw.g2 --sheet 1 --range A2:B4 --header false
expect_eq "no header: columns are letters" "$(qv "select string_agg(A || B, ' ' order by A) from raw.g2")" "a1 b2 c3"
expect_exit "--mode replace" 0 "$POND" ingest "$T/grid.xlsx" --table raw.g2 --range A3:B4 --header false --mode replace
expect_eq "replace keeps only the new rows" "$(qv "select string_agg(A, '' order by A) from raw.g2")" "bc"

# --- a type: xlsx source ---
cp "$T/grid.xlsx" "$P/grid.xlsx"
cat > "$P/sources/grid.yml" <<'YML'
type: xlsx
table: raw.grid_src
path: grid.xlsx
sheet: Grid
range: A1:C4
mode: merge
key: k
YML
expect_exit "run a type: xlsx source" 0 "$POND" ingest grid
expect_exit "run it again (merge on k)" 0 "$POND" ingest grid
expect_eq "the source's rows, merged" "$(qv "select count(*), sum(y) from raw.grid_src")" "3	60"

# --- bad input: one line naming the file, sheet and cell; nothing committed ---
before=$(qv "select count(*) from raw.back")
expect_exit "a missing sheet fails" 1 "$POND" ingest "$T/rt.xlsx" --table raw.back --sheet Q3
expect_contains "the error names the file and the sheets there are" "$ERR" "rt.xlsx: no sheet \"Q3\" (the workbook has \"Sheet1\")"
expect_eq "the error is one line" "$(echo "$ERR" | wc -l)" "1"
expect_exit "a bad range fails" 1 "$POND" ingest "$T/rt.xlsx" --table raw.back --range 'C9:A1'
expect_contains "the error names the range" "$ERR" "rt.xlsx: bad range \"C9:A1\""
printf 'id,name\n1,a\n' > "$T/notzip.xlsx"
expect_exit "a file that is not a zip fails" 1 "$POND" ingest "$T/notzip.xlsx" --table raw.back
expect_contains "the error says it is not a workbook" "$ERR" "notzip.xlsx: not an xlsx workbook"
/usr/bin/python3 - "$T/rt.xlsx" "$T/broken.xlsx" <<'PY'
import sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED)
for item in src.infolist():
    data = src.read(item.filename)
    if item.filename == "xl/worksheets/sheet1.xml":
        data = data.replace(b'<c r="C4" s="2" t="n"><v>', b'<c r="C4"><v>x', 1) if b'<c r="C4" s="2" t="n">' in data else data.replace(b'</row><row r="4"', b'</row><row r="4"><c r="C4"><v>oops</c>', 1)
    dst.writestr(item, data)
dst.close()
PY
expect_exit "a malformed sheet fails" 1 "$POND" ingest "$T/broken.xlsx" --table raw.back
expect_contains "the error names the sheet and the cell" "$ERR" "broken.xlsx: sheet \"Sheet1\": cell C4: "
expect_eq "nothing was committed" "$(qv "select count(*) from raw.back")" "$before"
finish
