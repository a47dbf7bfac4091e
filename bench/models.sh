#!/usr/bin/env bash
# Benchmark: a generated project of 200 models (a layered DAG: 10 layers of
# 20, each model joining two or three of the layer before, with a CTE) is
# parsed and planned without running: files read, settings parsed,
# dependencies extracted by DuckDB's parser, the graph built, checked and
# ordered (`pond transform --dry-run`). Target: under 1 s. Reference in the
# same run: DuckDB alone parsing the same 200 SELECTs (json_serialize_sql
# of each, in one `pond sql` call).
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-5}
LAYERS=${LAYERS:-10}
WIDTH=${WIDTH:-20}
P=$(mktemp -d "${TMPDIR:-/tmp}/pond-bench-models-XXXXXX")
trap 'rm -rf "$P"' EXIT
"$POND" init --bare "$P/proj" > /dev/null
cd "$P/proj"
"$POND" sql "create table raw.base as select range as id, range % 7 as k, random() as v from range(1000)" 2>/dev/null
ref_sql="$P/ref.sql"
echo "select count(*) from (" > "$ref_sql"
first=1
for ((l = 0; l < LAYERS; l++)); do
  mkdir -p "models/l$l"
  for ((i = 0; i < WIDTH; i++)); do
    if ((l == 0)); then
      body="select id, k, v * $i as v from raw.base where k <> $((i % 7))"
    else
      a=$(( (i + 1) % WIDTH )); b=$(( (i * 7 + 3) % WIDTH )); c=$(( (i * 3 + 5) % WIDTH ))
      p=$((l - 1))
      body="with x as (select a.id, a.k, a.v + b.v as v from l$p.m$a a join l$p.m$b b using (id))
select x.id, x.k, x.v + coalesce(c.v, 0) as v, sum(x.v) over (partition by x.k order by x.id) as running
from x left join l$p.m$c c on c.id = x.id where x.v > 0"
    fi
    printf -- '-- materialized: table\n-- tags: layer%d\n-- tests: not_null(id), unique(id)\n%s\n' "$l" "$body" > "models/l$l/m$i.sql"
    sql_lit=${body//\'/\'\'}
    if ((first)); then first=0; else echo "union all" >> "$ref_sql"; fi
    printf "select json_serialize_sql('%s') as j\n" "$sql_lit" >> "$ref_sql"
  done
done
echo ")" >> "$ref_sql"
models=$("$POND" transform --dry-run --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["models"]))')
plan_ms=()
for ((r = 0; r < RUNS; r++)); do
  plan_ms+=("$("$POND" transform --dry-run --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["plan_ms"])')")
done
plan_med=$(printf '%s\n' "${plan_ms[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
wall_ms=$(median_ms "$RUNS" "$POND" transform --dry-run --json)
ref_ms=$(median_ms "$RUNS" "$POND" sql -F "$ref_sql")
start_ms=$(median_ms "$RUNS" "$POND" sql "select 1")
printf 'models   %d models parsed and planned: %.1f ms in pond (median of %d), %.1f ms with process start;\n' \
  "$models" "$plan_med" "$RUNS" "$wall_ms"
printf '         DuckDB alone parsing the same SELECTs (one pond sql call): %.1f ms (process start %.1f ms);\n' \
  "$ref_ms" "$start_ms"
printf '         ratio to the 1 s target: %.3f (%s); ratio to DuckDB-only parsing (wall): %.2f\n' \
  "$(echo "$wall_ms / 1000" | bc -l)" "$([ "$(echo "$wall_ms < 1000" | bc -l)" = 1 ] && echo met || echo MISSED)" \
  "$(echo "$wall_ms / $ref_ms" | bc -l)"
