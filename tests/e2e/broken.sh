#!/usr/bin/env bash
# End-to-end: unreadable state is reported, never shown as empty. A table
# whose metadata file is gone is listed with its error and pond tables
# exits 1; drop table unregisters it; a 0-byte catalog says it is empty and
# where the warehouse is; output that cannot be written (a full disk, here
# /dev/full) is an error that says the disk is full.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" > /dev/null || { echo "FAIL pond init"; exit 1; }
cd "$P" || exit 1
"$POND" sql "create table s.gone as select 1 as x" > /dev/null 2>&1
"$POND" sql "create table s.fine as select range as x from range(3)" > /dev/null 2>&1
rm -f warehouse/s/gone/metadata/*.metadata.json

expect_exit "tables fails when a table cannot be read" 1 "$POND" tables
expect_contains "the broken table is listed with its error" "$OUT" "s.gone"
expect_contains "the error names the missing file" "$OUT" "No such file or directory"
case "$OUT" in
  *"s.gone"*" 0 B"*) fail "the broken table is not shown as empty" "$OUT" ;;
  *) pass "the broken table is not shown as empty" ;;
esac
expect_contains "the readable table is still listed" "$OUT" "s.fine"
expect_contains "the error says how to drop it" "$ERR" 'drop table s.gone'
expect_exit "tables --json fails too" 1 "$POND" tables --json
expect_eq "tables --json gives the error" "$(echo "$OUT" | python3 -c 'import json,sys; print("error" in [r for r in json.load(sys.stdin) if r["table"] == "s.gone"][0])')" "True"

expect_exit "drop table unregisters a broken table" 0 "$POND" sql "drop table s.gone"
expect_contains "drop says its files stay" "$ERR" "without removing its files"
expect_exit "tables succeeds once it is gone" 0 "$POND" tables
expect_eq "only the readable table is left" "$(echo "$OUT" | awk 'NR > 1 { print $1 }')" "s.fine"
expect_exit "dropping a table that does not exist still fails" 1 "$POND" sql "drop table s.never"

: > catalog.db
expect_exit "a 0-byte catalog fails" 1 "$POND" tables
expect_contains "it says the catalog is empty" "$ERR" "catalog.db is empty (0 bytes)"
expect_contains "it says where the warehouse is" "$ERR" "the warehouse is $P/warehouse"
case "$OUT$ERR" in
  *"no tables yet"*) fail "a 0-byte catalog is not 'no tables yet'" "$OUT" ;;
  *) pass "a 0-byte catalog is not 'no tables yet'" ;;
esac

rm -f catalog.db
"$POND" sql "create table s.again as select 1 as x" > /dev/null 2>&1
expect_exit "output to a full disk fails" 1 sh -c "'$POND' sql 'select 1' > /dev/full"
expect_contains "the error says the disk is full" "$ERR" "the disk is full"
expect_exit "a COPY to a full disk says so" 1 "$POND" sql "copy (select 1) to '/dev/full' (format csv)"
expect_contains "the COPY error names the device" "$ERR" "No space left on device"

finish
