#!/usr/bin/env bash
# End-to-end: a bank export as banks write it (two title lines, the header
# on line 3, `;`, decimal comma and thousands dot, dates like 31.12.2024,
# n/a for nothing, windows-1252 with € and ä) loads through `pond ingest`
# flags and through a source's keys, and the rows equal DuckDB's reading of
# a clean UTF-8 file of the same data. Each bad file fails with its line
# and commits nothing; no temporary file is left behind.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" >/dev/null 2>&1 || { mkdir -p "$P"; printf 'name: t\nwarehouse: warehouse\ncatalog: catalog.db\n' > "$P/pond.yml"; }
mkdir -p "$P/sources" "$T/tmp"
cd "$P" || exit 1
export TMPDIR="$T/tmp"

python3 - "$T" <<'EOF'
import sys
t = sys.argv[1]
rows = [  # day, text, amount, balance, count
    ("31.12.2024", "Gehalt März", "3.500,00", "12.345,67", "1"),
    ("02.01.2025", "Miete € 01/2025", "-1.234,50", "11.111,17", "1"),
    ("03.01.2025", "Bäckerei; \"Müller\"", "-4,20", "n/a", "12"),
    ("15.01.2025", "Überweisung", "1.000.000,05", "1.011.111,22", "1.500"),
]
def messy(rows):
    def field(v):
        return '"' + v.replace('"', '""') + '"' if ';' in v or '"' in v else v
    lines = ["Kontoauszug Girokonto 1234567", "Exportiert am 16.01.2025 um 08:15",
             "Buchungstag;Verwendungszweck;Betrag;Saldo;Anzahl"]
    lines += [";".join(field(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")
def number(v):
    return "" if v == "n/a" else v.replace(".", "").replace(",", ".")
def iso(d):
    dd, mm, yy = d.split(".")
    return f"{yy}-{mm}-{dd}"
with open(f"{t}/bank.csv", "wb") as f:
    f.write(messy(rows))
with open(f"{t}/clean.csv", "w", encoding="utf-8") as f:
    f.write("Buchungstag,Verwendungszweck,Betrag,Saldo,Anzahl\n")
    for d, text, amount, balance, count in rows:
        f.write(",".join([iso(d), '"' + text.replace('"', '""') + '"', number(amount), number(balance),
                          number(count)]) + "\n")
bad_date = [r if i != 2 else ("32.01.2025",) + r[1:] for i, r in enumerate(rows)]
open(f"{t}/bad_date.csv", "wb").write(messy(bad_date))
open(f"{t}/bad_byte.csv", "wb").write(messy(rows).replace(b"Miete", b"Mie\x81te"))
open(f"{t}/ragged.csv", "wb").write(messy(rows).replace(b"-4,20;", b"-4,20;;"))
EOF

q() { "$POND" sql "$1" --format csv | tail -n +2; }
FLAGS=(--skip 2 --null n/a --decimal-mark , --thousands . --encoding windows-1252 --column 'Buchungstag=date:%d.%m.%Y')
COLS="Buchungstag, Verwendungszweck, Betrag, Saldo, Anzahl"
TYPES="typeof(Buchungstag), typeof(Verwendungszweck), typeof(Betrag), typeof(Saldo), typeof(Anzahl)"

# --- the bank export, by flags, equals DuckDB's reading of the clean file ---
expect_exit "bank export loads with flags" 0 "$POND" ingest "$T/bank.csv" --table raw.bank "${FLAGS[@]}"
expect_contains "4 rows loaded" "$OUT" "loaded 4 rows into raw.bank"
want=$(q "select $COLS, $TYPES from read_csv('$T/clean.csv') order by Buchungstag")
got=$(q "select $COLS, $TYPES from raw.bank order by Buchungstag")
expect_eq "rows and types equal DuckDB's on the clean file" "$got" "$want"
expect_contains "types: date, text, double, double, bigint" "$got" "DATE,VARCHAR,DOUBLE,DOUBLE,BIGINT"
expect_contains "€ and ä as UTF-8" "$got" "Miete € 01/2025"

# --- the same by a source's keys (header_line instead of skip) ---
cat > sources/konto.yml <<EOF
type: file
table: raw.konto
path: $T/bank.csv
header_line: 3
null: n/a
decimal_mark: ","
thousands: "."
encoding: windows-1252
columns:
  Buchungstag: {type: date, format: "%d.%m.%Y"}
EOF
expect_exit "bank export loads as a source" 0 "$POND" ingest konto
expect_eq "source rows equal the clean file's" "$(q "select $COLS, $TYPES from raw.konto order by Buchungstag")" "$want"

# --- bad files: one line naming the file's line; nothing committed ---
expect_exit "bad date fails" 1 "$POND" ingest "$T/bad_date.csv" --table raw.bank "${FLAGS[@]}"
expect_eq "bad date names line and column" "$ERR" "pond: error: $T/bad_date.csv:6: error when converting column \"Buchungstag\": could not convert string \"32.01.2025\" to 'DATE'"
expect_exit "bad byte fails" 1 "$POND" ingest "$T/bad_byte.csv" --table raw.fresh "${FLAGS[@]}"
expect_eq "bad byte names its line" "$ERR" "pond: error: $T/bad_byte.csv:5: byte 0x81 is not valid windows-1252"
expect_exit "ragged row fails" 1 "$POND" ingest "$T/ragged.csv" --table raw.fresh "${FLAGS[@]}"
expect_eq "ragged row names its line" "$ERR" "pond: error: $T/ragged.csv:6: expected 5 columns, found 6"
expect_exit "bad thousands is a usage error" 2 "$POND" ingest "$T/bank.csv" --table raw.fresh --decimal-mark , --thousands ,
expect_eq "nothing committed" "$(q "select count(*) from raw.bank"),$("$POND" tables | grep -c raw.fresh)" "4,0"
expect_eq "no temporary file left" "$(ls -A "$T/tmp")" ""

# --- without a number format the amounts stay text, never misread ---
expect_exit "without options" 0 "$POND" ingest "$T/bank.csv" --table raw.plain --skip 2 --encoding cp1252
expect_eq "amounts stay text" "$(q "select min(typeof(Betrag)), max(Betrag) from raw.plain")" "VARCHAR,\"3.500,00\""

expect_exit "ingest --help lists the CSV flags" 0 "$POND" ingest --help
expect_contains "help: --encoding" "$OUT" "--encoding ENC"

finish
