#!/usr/bin/env bash
# End-to-end: nested NDJSON loaded in sequence. New fields inside structs
# and list elements are added by `schema: evolve` (fresh field ids, the
# rows' own commit; older rows read NULL), refused by freeze naming the
# dotted path, dropped and listed by discard; a field the input lacks
# reads NULL; a value that does not convert inside a struct names its
# path and commits nothing; rows waiting in the row buffer read NULL for a
# field added after them; a Parquet map's value struct evolves too. The
# table equals DuckDB's read_json of the same files, icebird (an
# independent Iceberg reader) reads the nested fields by their ids, the
# metadata's ids are unique with last-column-id updated, and time travel
# shows the older schema. Flatten depths 1, 2 and full equal DuckDB's
# selects of the same fields.
. "$(dirname "$0")/lib.sh"

P="$T/proj"
"$POND" init --bare "$P" >/dev/null 2>&1 || { mkdir -p "$P"; printf 'name: t\nwarehouse: warehouse\ncatalog: catalog.db\n' > "$P/pond.yml"; }
mkdir -p "$P/sources"
cd "$P" || exit 1

cat > "$T/e1.ndjson" <<'EOF'
{"id": 1, "user": {"name": "ann", "age": 31}, "items": [{"sku": "a1", "n": 1}, {"sku": "a2", "n": 2}]}
{"id": 2, "user": {"name": "bob", "age": 42}, "items": []}
{"id": 3, "user": {"name": "cy", "age": null}, "items": [{"sku": "c1", "n": 5}]}
EOF
cat > "$T/e2.ndjson" <<'EOF'
{"id": 4, "user": {"name": "dee", "age": 27, "email": "dee@example.com", "address": {"city": "Oslo"}}, "items": [{"sku": "d1", "n": 1, "price": 9.5}]}
{"id": 5, "user": {"name": "eve", "age": 35, "email": null, "address": {"city": "Lund"}}, "items": [{"sku": "e1", "n": 3, "price": 1.25}, {"sku": "e2", "n": 1}]}
EOF
# Fields the table has but this file lacks: user.age, user.email, items.
cat > "$T/e3.ndjson" <<'EOF'
{"id": 6, "user": {"name": "fay", "address": {"city": "Turku"}}}
EOF
cat > "$T/phone.ndjson" <<'EOF'
{"id": 7, "user": {"name": "gus", "phone": "555-0100"}, "items": [{"sku": "g1", "n": 1, "colour": "red"}]}
EOF
cat > "$T/bad_age.ndjson" <<'EOF'
{"id": 8, "user": {"name": "hal", "age": "old"}}
EOF
cat > "$T/bad_n.ndjson" <<'EOF'
{"id": 9, "items": [{"sku": "i1", "n": "many"}]}
EOF

q() { "$POND" sql "$1" --format csv | tail -n +2; }
value() { "$POND" sql "$1" --format csv | tail -n +2 | head -n 1; }
metadata_file() { "$POND" show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata_file"])'; }

# --- evolve: three files in sequence ---
expect_exit "first file creates the table" 0 "$POND" ingest "$T/e1.ndjson" --table raw.events
first_snapshot=$("$POND" show raw.events --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["current_snapshot_id"])')
first_metadata=$(metadata_file raw.events)
expect_exit "new nested fields evolve" 0 "$POND" ingest "$T/e2.ndjson" --table raw.events --json
changes=$(echo "$OUT" | python3 -c 'import json,sys; print(" ".join(c["kind"] + ":" + c.get("column", "") + ":" + c.get("type", "") for c in json.load(sys.stdin)["schema_changes"]))')
expect_eq "the changes name dotted paths" "$changes" "add:user.email:string add:user.address:struct add:items.element.price:double"
expect_exit "a file lacking fields loads" 0 "$POND" ingest "$T/e3.ndjson" --table raw.events

COLS="id, user.name, user.age, user.email, user.address.city, list_transform(items, x -> x.sku) AS skus, list_transform(items, x -> x.n) AS ns, list_transform(items, x -> x.price) AS prices"
want=$(q "select $COLS from read_json(['$T/e1.ndjson', '$T/e2.ndjson', '$T/e3.ndjson'], union_by_name = true) order by id")
got=$(q "select $COLS from raw.events order by id")
expect_eq "rows equal DuckDB's read_json of the three files" "$got" "$want"
expect_eq "older rows read NULL for the new fields" \
  "$(value "select count(*) from raw.events where id <= 3 and user.email is null and user.address is null and list_bool_or(list_transform(items, x -> x.price is not null)) is not true")" "3"
expect_eq "fields the input lacks read NULL" \
  "$(value "select user.age is null, user.email is null, items is null, user.address.city from raw.events where id = 6")" "true,true,true,Turku"
expect_eq "types equal DuckDB's" \
  "$(q "select typeof(user), typeof(items) from raw.events limit 1")" \
  "$(q "select typeof(user), typeof(items) from read_json(['$T/e1.ndjson', '$T/e2.ndjson', '$T/e3.ndjson'], union_by_name = true) limit 1")"

# --- the metadata: fresh unique ids, last-column-id, one commit ---
check_ids=$(python3 - "$first_metadata" "$(metadata_file raw.events)" <<'EOF'
import json, sys
old, new = (json.load(open(p)) for p in sys.argv[1:3])
def ids(t, path, out):
    if isinstance(t, dict):
        if t["type"] == "struct":
            for f in t["fields"]:
                out.append((path + f["name"], f["id"])); ids(f["type"], path + f["name"] + ".", out)
        elif t["type"] == "list":
            out.append((path + "element", t["element-id"])); ids(t["element"], path + "element.", out)
        elif t["type"] == "map":
            out.append((path + "key", t["key-id"])); out.append((path + "value", t["value-id"]))
            ids(t["value"], path + "value.", out)
    return out
cur = [s for s in new["schemas"] if s["schema-id"] == new["current-schema-id"]][0]
now = dict(ids(cur, "", []))
before = dict(ids(old["schemas"][-1], "", []))
problems = []
if len(set(now.values())) != len(now): problems.append("repeated ids")
if new["last-column-id"] != max(now.values()): problems.append("last-column-id %d, highest id %d" % (new["last-column-id"], max(now.values())))
for name in ("user.email", "user.address", "user.address.city", "items.element.price"):
    if name not in now: problems.append("no " + name)
    elif now[name] <= old["last-column-id"]: problems.append("%s reuses id %d" % (name, now[name]))
for name, fid in before.items():
    if now.get(name) != fid: problems.append("%s changed id" % name)
print("; ".join(problems) or "ok %d schemas" % len(new["schemas"]))
EOF
)
expect_eq "nested ids are fresh and unique; last-column-id is the highest" "$check_ids" "ok 2 schemas"

# --- time travel: the first snapshot has the first schema ---
expect_eq "time travel shows the older schema" \
  "$(q "select typeof(user), typeof(items), count(*) from raw.events AT (VERSION => $first_snapshot) group by all")" \
  "\"STRUCT(\"\"name\"\" VARCHAR, age BIGINT)\",\"STRUCT(sku VARCHAR, n BIGINT)[]\",3"

# --- icebird reads the nested fields by their ids ---
"$POND" flush raw.events >/dev/null 2>&1
# Each row as id|name|email|city|[prices], from icebird's JSON and from
# pond's NDJSON output of the same fields.
render='
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
for r in sorted(rows, key=lambda r: int(r["id"])):
    u = r.get("user") or {}
    items = r.get("items")
    print("%s|%s|%s|%s|%s" % (r["id"], u.get("name"), u.get("email"), (u.get("address") or {}).get("city"),
          None if items is None else [i.get("price") for i in items]))'
ib=$(icebird_rows raw.events | python3 -c "$render")
want_ib=$("$POND" sql "select id, user, items from raw.events" --format ndjson | python3 -c "$render")
expect_eq "icebird reads the same nested values" "$ib" "$want_ib"

# --- freeze and discard name the dotted path ---
before=$(metadata_file raw.events)
expect_exit "freeze refuses a new nested field" 1 "$POND" ingest "$T/phone.ndjson" --table raw.events --schema freeze
expect_eq "freeze names the dotted path" "$ERR" "pond: error: $T/phone.ndjson has field \"user.phone\" (string) that table raw.events does not have (schema: freeze)"
expect_eq "freeze commits nothing" "$(metadata_file raw.events)" "$before"
expect_exit "discard drops new nested fields" 0 "$POND" ingest "$T/phone.ndjson" --table raw.events --schema discard --json
changes=$(echo "$OUT" | python3 -c 'import json,sys; print(" ".join(c["kind"] + ":" + c["column"] for c in json.load(sys.stdin)["schema_changes"]))')
expect_eq "discard lists the dotted paths" "$changes" "discard:user.phone discard:items.element.colour"
expect_eq "discard loads the row, schema unchanged" \
  "$(q "select count(*), max(typeof(user)) like '%phone%' from raw.events")" "7,false"

# --- a value that does not convert inside a struct or a list element ---
before=$(metadata_file raw.events)
expect_exit "a bad nested value fails" 1 "$POND" ingest "$T/bad_age.ndjson" --table raw.events
expect_eq "the error names the struct field" "$ERR" "pond: error: could not load $T/bad_age.ndjson: Conversion Error: Could not convert string 'old' to INT64 when casting from source column user.age"
expect_exit "a bad list element value fails" 1 "$POND" ingest "$T/bad_n.ndjson" --table raw.events
expect_eq "the error names the element's field" "$ERR" "pond: error: could not load $T/bad_n.ndjson: Conversion Error: Could not convert string 'many' to INT64 when casting from source column items.element.n"
expect_eq "nothing committed" "$(metadata_file raw.events),$(value "select count(*) from raw.events")" "$before,7"

# --- a field added while rows wait in the row buffer (the discard load's
# one row went there) ---
echo '{"id": 10, "user": {"name": "ivy", "nick": "i"}}' > "$T/nick.ndjson"
expect_contains "a row waits in the buffer" "$("$POND" tables)" "(1 buffered"
expect_exit "a new nested field after buffered rows" 0 "$POND" ingest "$T/nick.ndjson" --table raw.events
expect_eq "buffered rows read NULL for it" \
  "$(value "select string_agg(id || ':' || coalesce(user.nick, '-'), ' ' order by id) from raw.events where id in (7, 10)")" "7:- 10:i"
"$POND" flush raw.events >/dev/null 2>&1
expect_eq "and after the flush" \
  "$(value "select string_agg(id || ':' || coalesce(user.nick, '-'), ' ' order by id) from raw.events where id in (7, 10)")" "7:- 10:i"

# --- map values (Parquet maps: DuckDB's read_json makes a map only of
# objects with over 200 keys) evolve the same way ---
"$POND" export "select 1 as id, map(['k1'], [{'v': 1}]) as attrs" --parquet "$T/m1.parquet" -q
"$POND" export "select 2 as id, map(['k2', 'k3'], [{'v': 2, 'w': 'x'}, {'v': 3, 'w': NULL}]) as attrs" --parquet "$T/m2.parquet" -q
expect_exit "a map of structs" 0 "$POND" ingest "$T/m1.parquet" --table raw.maps
expect_exit "a new field in the map's value" 0 "$POND" ingest "$T/m2.parquet" --table raw.maps
expect_contains "the change names attrs.value.w" "$OUT" "added column attrs.value.w (string)"
expect_eq "map rows equal DuckDB's read_parquet of both files" "$(q "select id, attrs, typeof(attrs) from raw.maps order by id")" \
  "$(q "select id, attrs, typeof(attrs) from read_parquet(['$T/m1.parquet', '$T/m2.parquet'], union_by_name = true) order by id")"

# --- flatten to a depth ---
cat > "$T/deep.ndjson" <<'EOF'
{"id": 1, "a": {"b": {"c": 1, "e": {"f": true}}, "d": 2}, "l": [{"x": {"y": 1}}]}
{"id": 2, "a": {"b": {"c": 3, "e": {"f": false}}, "d": null}, "l": []}
EOF
R="read_json('$T/deep.ndjson')"
expect_exit "flatten=1" 0 "$POND" ingest "$T/deep.ndjson" --table raw.d1 --flatten=1
expect_exit "flatten=2" 0 "$POND" ingest "$T/deep.ndjson" --table raw.d2 --flatten=2
expect_exit "flatten (full)" 0 "$POND" ingest "$T/deep.ndjson" --table raw.dall --flatten
cat > sources/deep.yml <<EOF
type: file
table: raw.dsrc
path: $T/deep.ndjson
flatten: 2
EOF
expect_exit "flatten: 2 in a source" 0 "$POND" ingest deep
desc() { "$POND" sql "describe $1" --format csv | python3 -c 'import csv,sys; [print(r[0] + "|" + r[1]) for r in list(csv.reader(sys.stdin))[1:]]'; }
D1="select id, a.b as a__b, a.d as a__d, l from $R"
D2="select id, a.b.c as a__b__c, a.b.e as a__b__e, a.d as a__d, l from $R"
DALL="select id, a.b.c as a__b__c, a.b.e.f as a__b__e__f, a.d as a__d, l from $R"
expect_eq "depth 1: columns equal DuckDB's" "$(desc raw.d1)" "$(desc "$D1")"
expect_eq "depth 1: a__b stays a struct" "$(desc raw.d1 | grep a__b)" 'a__b|STRUCT(c BIGINT, e STRUCT(f BOOLEAN))'
expect_eq "depth 1: rows equal DuckDB's" "$(q "select * from raw.d1 order by id")" "$(q "$D1 order by id")"
expect_eq "depth 2: columns equal DuckDB's" "$(desc raw.d2)" "$(desc "$D2")"
expect_eq "depth 2: rows equal DuckDB's" "$(q "select * from raw.d2 order by id")" "$(q "$D2 order by id")"
expect_eq "full depth: columns equal DuckDB's" "$(desc raw.dall)" "$(desc "$DALL")"
expect_eq "full depth: rows equal DuckDB's" "$(q "select * from raw.dall order by id")" "$(q "$DALL order by id")"
expect_eq "a source's depth 2 equals --flatten=2" "$(q "select * from raw.dsrc order by id")" "$(q "select * from raw.d2 order by id")"
expect_eq "lists of structs stay lists" "$(desc raw.dall | grep '^l|')" 'l|STRUCT(x STRUCT(y BIGINT))[]'

echo '{"id": 1, "a": {"b": 1}, "a__b": 2}' > "$T/clash.ndjson"
expect_exit "a flattened name clash fails" 1 "$POND" ingest "$T/clash.ndjson" --table raw.clash --flatten
expect_eq "the clash names both fields" "$ERR" "pond: error: $T/clash.ndjson: flattening makes two columns named \"a__b\" (from \"a.b\" and \"a__b\")"
expect_exit "a bad depth is a usage error" 2 "$POND" ingest "$T/deep.ndjson" --table raw.d0 --flatten=0
expect_eq "no table from failed loads" "$("$POND" tables | grep -c -E 'raw\.(clash|d0)')" "0"

finish
