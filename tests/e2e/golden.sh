#!/usr/bin/env bash
# End-to-end: what a user sees, as golden files. Builds a small project
# whose contents are the same on every run, runs the commands that print
# tables and snapshots (pond tables, show, history, inspect; text and
# --json) and a few that fail, and compares each output with
# tests/golden/NAME.txt. A change in what pond prints is then a diff in
# review, not a surprise.
#
# What varies between runs is replaced before comparing, keeping the
# shape (width, format) of the original so alignment still shows:
#   the project folder            <project>
#   snapshot ids                  9000000000000000001, ...2, ... (in commit order
#                                 of sales.orders, then sales.customers)
#   uuids                         <uuid>; data folders data/<dir>/; the hex
#                                 tag of a manifest list -<hex>.avro
#   ISO timestamps                2000-01-01T00:00:00.000Z
#   epoch milliseconds            1000000000000
#   a manifest's length           1000 (deflated Avro holding random uuids)
# Data file sizes are kept: the same rows make the same Parquet bytes with
# the pinned DuckDB, and a change there deserves a look.
#
#   UPDATE_GOLDEN=1 bash tests/e2e/golden.sh    rewrites tests/golden/*.txt
. "$(dirname "$0")/lib.sh"

GOLDEN="$(cd "$(dirname "$0")/../golden" 2>/dev/null && pwd)"
[ -n "$GOLDEN" ] || { echo "no tests/golden folder"; exit 1; }
UPDATE="${UPDATE_GOLDEN:-0}"

P="$T/proj"
"$POND" init --bare "$P" >/dev/null 2>&1 || { fail "pond init" "could not make $P"; finish; exit 1; }
cd "$P" || exit 1

# --- a project with the same rows every time ---
setup() {
  local q
  for q in \
    "create table sales.orders as select range as id, 'c' || (range % 3) as customer, range * 1.5 as amount, date '2024-01-01' + (range % 4)::int as day from range(10)" \
    "insert into sales.orders values (100, 'x', 2.5, date '2024-02-01')" \
    "delete from sales.orders where customer = 'c1'" \
    "alter table sales.orders set tblproperties ('owner' = 'golden')" \
    "create table sales.customers (id integer not null, name varchar, since date)" \
    "alter table sales.customers add partition field bucket(4, id)" \
    "insert into sales.customers values (1, 'ada', date '2020-01-01'), (2, 'bo', null), (3, null, date '2021-06-30')"
  do
    "$POND" sql "$q" >/dev/null 2>"$T/.setup" || { fail "setup: $q" "$(cat "$T/.setup")"; finish; exit 1; }
  done
  # The last insert waits in the row buffer; the golden files show it flushed.
  "$POND" flush >/dev/null 2>"$T/.setup" || { fail "setup: flush" "$(cat "$T/.setup")"; finish; exit 1; }
}
setup

# Snapshot ids, oldest first per table, each mapped to a fixed 19-digit
# number (the width of most ids, and still a JSON number).
ids=()
for t in sales.orders sales.customers; do
  while read -r id; do ids+=("$id"); done < <("$POND" history "$t" --json |
    python3 -c 'import json,sys; [print(s["snapshot_id"]) for s in json.load(sys.stdin)]')
done

[ ${#ids[@]} -gt 0 ] || { fail "snapshot ids" "pond history --json gave none (is python3 installed?)"; finish; exit 1; }

sed_escape() { printf '%s' "$1" | sed -e 's/[]\/$*.^[]/\\&/g'; }

normalise() {
  local args=(-E -e "s/$(sed_escape "$P")/<project>/g") i=0 id
  for id in "${ids[@]}"; do
    i=$((i + 1))
    args+=(-e "s/\\b$id\\b/$(printf '9%018d' "$i")/g")
  done
  args+=(
    # An id shorter than 19 digits was padded further in aligned columns.
    -e 's/\b(9000000000000000[0-9]{3})   +/\1  /g'
    -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g'
    -e 's#/data/[0-9a-f]{8}-[0-9a-f]{4}/#/data/<dir>/#g'
    -e 's/-[0-9a-f]{8}\.avro/-<hex>.avro/g'
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z/2000-01-01T00:00:00.000Z/g'
    -e 's/\b1[0-9]{12}\b/1000000000000/g'
    -e 's/"length": [0-9]+/"length": 1000/g'
  )
  sed "${args[@]}"
}

# compare NAME FILE: FILE (already normalised) against tests/golden/NAME.txt,
# or, with UPDATE_GOLDEN=1, written over it.
compare() {
  local name=$1 got=$2 file="$GOLDEN/$1.txt"
  if [ "$UPDATE" = 1 ]; then
    cp "$got" "$file"
    pass "$name (written)"
  elif [ ! -f "$file" ]; then
    fail "$name" "no $file: run UPDATE_GOLDEN=1 bash tests/e2e/golden.sh"
  elif diff -u "$file" "$got" >"$T/.diff"; then
    pass "$name"
  else
    local lines
    mapfile -t lines < <(head -n 40 "$T/.diff")
    fail "$name" "${lines[@]}"
  fi
}

# The command line as a user would type it: pond for the binary's path,
# arguments with spaces or quotes in double quotes.
command_line() {
  local arg line="pond"
  shift
  for arg in "$@"; do
    case "$arg" in
      *[[:space:]\'\"\\\$\*\(\)\;\<\>]*) line+=" \"${arg//\"/\\\"}\"" ;;
      *) line+=" $arg" ;;
    esac
  done
  printf '$ %s\n' "$line"
}

# transcript CMD...: the command line, its stdout, its stderr (if any) and
# its exit status, as golden files show them.
transcript() {
  "$@" >"$T/.out" 2>"$T/.err"
  local rc=$?
  if [ "$1" = "$POND" ]; then command_line "$@"; else echo "\$ $*"; fi
  cat "$T/.out"
  if [ -s "$T/.err" ]; then echo "[stderr]"; cat "$T/.err"; fi
  echo "[exit $rc]"
}

# golden NAME CMD...: runs CMD in the project and compares its transcript.
golden() {
  local name=$1; shift
  transcript "$@" | normalise >"$T/$name.got"
  compare "$name" "$T/$name.got"
}

# golden_errors NAME CMD... [-- CMD...]...: the transcripts of several
# commands, separated by --, in one file.
golden_errors() {
  local name=$1 arg cmd=(); shift
  : >"$T/$name.raw"
  for arg in "$@" --; do
    if [ "$arg" != -- ]; then cmd+=("$arg"); continue; fi
    [ ${#cmd[@]} -gt 0 ] && { transcript "${cmd[@]}"; echo; } >>"$T/$name.raw"
    cmd=()
  done
  normalise <"$T/$name.raw" >"$T/$name.got"
  compare "$name" "$T/$name.got"
}

golden tables              "$POND" tables
golden tables-json         "$POND" tables --json
golden tables-namespace    "$POND" tables nope
golden show                "$POND" show sales.orders
golden show-json           "$POND" show sales.orders --json
golden show-partitioned    "$POND" show sales.customers
golden history             "$POND" history sales.orders
golden history-json        "$POND" history sales.orders --json
golden inspect             "$POND" inspect warehouse/sales/orders
golden inspect-json        "$POND" inspect warehouse/sales/customers --json

golden_errors errors \
  "$POND" show sales.nope -- \
  "$POND" history sales.nope --json -- \
  "$POND" show -- \
  "$POND" history sales.orders extra -- \
  "$POND" frobnicate -- \
  "$POND" inspect "$P/no/such/table" -- \
  "$POND" inspect --snapshot 42 warehouse/sales/orders -- \
  "$POND" sql "alter table sales.orders add column id int" -- \
  "$POND" sql "select * from sales.orders at (version => 42)"

finish
