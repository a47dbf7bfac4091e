#!/usr/bin/env bash
# Runs pond's whole suite for each build folder given (e.g. build and
# build/san): for each build, the unit-test binary and every end-to-end
# script in tests/e2e against that build's pond. Parts run in parallel,
# POND_TEST_JOBS at a time (default: the number of cores); each writes its
# own log, and the results are printed in a fixed order once all are done:
# each part's failures and summary line, the names of the failing parts,
# and, last, the total as "N passed, N failed". Exits non-zero on any
# failure or when no test ran. Fixtures are tests/fixtures (POND_FIXTURES
# names another folder).
#
# To add a part, add a line to add_parts below: `part LABEL COMMAND...`
# (COMMAND runs from the repository root with POND_BIN set and must end
# its output with an "N passed, N failed" line).
set -u
cd "$(dirname "$0")/.."
# Debian's tools first (scripts/setup.sh installs them): a version
# manager's shim for python3 earlier on PATH costs most of a second per
# call, and the tests call python3 hundreds of times.
case ":$PATH:" in :/usr/bin:*) ;; *) export PATH="/usr/bin:$PATH" ;; esac
export POND_FIXTURES="${POND_FIXTURES:-$PWD/tests/fixtures}"
[ $# -gt 0 ] || set -- build
jobs=${POND_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}

total_pass=0
total_fail=0
failures=()

add_counts() {  # $1: label, $2: log file
  local line p f
  line=$(grep -E '^[a-z0-9_:-]*:? ?[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
  if [ -z "$line" ]; then
    echo "FAIL $1: no summary line (crashed?)"
    tail -n 20 "$2" | sed 's/^/    /'
    total_fail=$((total_fail + 1))
    failures+=("$1")
    return
  fi
  p=$(echo "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed.*/\2/')
  f=$(echo "$line" | sed -E 's/^.*[^0-9]([0-9]+) failed.*/\1/')
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  [ "$f" -eq 0 ] || failures+=("$1")
}

logdir=$(mktemp -d "${TMPDIR:-/tmp}/pond-suite-XXXXXX")
pg_dir=
s3_dir=
cleanup() {
  [ -z "$pg_dir" ] || tests/pg/stop.sh "$pg_dir"
  [ -z "$s3_dir" ] || tests/s3/stop.sh "$s3_dir"
  rm -rf "$logdir"
}
trap cleanup EXIT
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
# start_server NAME VAR DIRVAR SCRIPT: unless VAR already names a server,
# starts one with SCRIPT (tests/pg/start.sh, tests/s3/start.sh) in a new
# folder (kept in DIRVAR for cleanup) and exports its URL as VAR. Failing
# to start it is a test failure, not a skip.
start_server() {
  local name=$1 var=$2 dirvar=$3 script=$4 dir url
  [ -z "${!var:-}" ] || return 0
  dir=$(mktemp -d "${TMPDIR:-/tmp}/pond-$name-XXXXXX")
  printf -v "$dirvar" '%s' "$dir"
  if url=$("$script" "$dir" 2>"$logdir/$name.log"); then
    export "$var=$url"
    echo "== $name test server: $url"
  else
    unset "$var"
    echo "FAIL $name test server did not start:"
    sed 's/^/    /' "$logdir/$name.log"
    total_fail=$((total_fail + 1))
    failures+=("$name-server")
  fi
}
# One throw-away PostgreSQL server for the whole suite (catalog tests run
# against it too; each test makes a schema of its own), and one S3 test
# server (s3rver behind a proxy that checks signatures and injects faults;
# each test uses buckets of its own).
start_server postgresql POND_TEST_PG_URL pg_dir tests/pg/start.sh
start_server s3 POND_TEST_S3_URL s3_dir tests/s3/start.sh

labels=()
commands=()
builds=()
# part LABEL COMMAND...: one part of the suite for the current build.
part() {
  labels+=("$1")
  builds+=("$build")
  shift
  commands+=("$(printf '%q ' "$@")")
}

# The parts that take longest (measured: the unit binary, then these
# scripts) start first, so that the short ones fill in at the end and
# neither core idles while one long part finishes.
LONG_SCRIPTS="tables ingest maintain serve compact backup archive transform docs sql web"

# add_parts long|short: the current build's long or short parts.
add_parts() {
  local shards=${POND_UNIT_SHARDS:-3} s script name
  if [ "$1" = long ]; then
    # The unit binary in shards (POND_TEST_SHARD, tests/unit/main.c).
    for ((s = 0; s < shards; s++)); do
      part "$build unit $((s + 1))/$shards" env POND_TEST_SHARD="$s/$shards" "$build/test_unit"
    done
    # The differential tester (tests/difftest): a fixed budget of checks
    # from a fixed seed, with the switches of tests/difftest/known_bugs.h
    # off. The sanitizer build is several times slower: a smaller budget.
    local budget=${POND_DIFFTEST_CASES:-2000}
    case "$build" in *san*) budget=${POND_DIFFTEST_SAN_CASES:-600} ;; esac
    part "$build difftest" "$build/difftest" --seed "${POND_DIFFTEST_SEED:-1}" --cases "$budget"
    for name in $LONG_SCRIPTS; do
      part "$build e2e $name" bash "tests/e2e/$name.sh"
    done
    return
  fi
  for script in tests/e2e/*.sh; do
    name=$(basename "$script" .sh)
    case " lib $LONG_SCRIPTS " in *" $name "*) continue ;; esac
    part "$build e2e $name" bash "$script"
  done
}

for build in "$@"; do
  [ -x "$build/pond" ] || { echo "no $build/pond: run make first" >&2; exit 1; }
done
# Long parts of every build first, the sanitized (slower) build's first of all.
for phase in long short; do
  for ((b = $#; b >= 1; b--)); do
    build=${!b}
    add_parts "$phase"
  done
done

run_part() {  # $1: index
  local i=$1 build=${builds[$1]} start=$SECONDS
  (
    export POND_BIN="$PWD/$build/pond"
    case "$build" in
      # Leaks are checked; a smaller quarantine, shorter allocation
      # stacks and no fill of new blocks make each of the suite's
      # thousands of short pond processes about a fifth cheaper. The
      # e2e scripts' processes are short-lived commands: a 2 MB
      # quarantine (a freed block is reused after 2 MB of other frees)
      # costs them 12% less CPU than 16 MB, which the unit binary keeps.
      *san*) local quarantine=16
             case "${labels[$i]}" in *" e2e "*) quarantine=2 ;; esac
             export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:quarantine_size_mb=$quarantine:malloc_context_size=8:max_malloc_fill_size=0:${ASAN_OPTIONS:-}"
             export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ;;
    esac
    eval "${commands[$i]}"
  ) > "$logdir/$i.log" 2>&1 < /dev/null
  echo $? > "$logdir/$i.rc"
  echo $((SECONDS - start)) > "$logdir/$i.secs"
}

running=0
for i in "${!labels[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  run_part "$i" &
  running=$((running + 1))
done
wait

for i in "${!labels[@]}"; do
  echo "== ${labels[$i]} ($(cat "$logdir/$i.secs" 2>/dev/null || echo ?) s)"
  grep -E '^FAIL|^    ' "$logdir/$i.log"
  tail -n 1 "$logdir/$i.log"
  add_counts "${labels[$i]}" "$logdir/$i.log"
done

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed in: ${failures[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
