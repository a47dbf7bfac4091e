# Helpers for end-to-end tests that drive the real pond binary.
# A script sources this, calls `check NAME COMMAND...` or the expect_*
# helpers, and ends with `finish`, which prints "N passed, N failed".
set -u
# Debian's tools first (scripts/setup.sh installs them): a version
# manager's python3 shim earlier on PATH costs most of a second per call,
# and the tests call python3 hundreds of times.
case ":$PATH:" in :/usr/bin:*) ;; *) export PATH="/usr/bin:$PATH" ;; esac
POND="${POND_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/pond}"
FIXTURES="${POND_FIXTURES:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/fixtures}"
NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../node" && pwd)"
T=$(mktemp -d "${TMPDIR:-/tmp}/pond-e2e-XXXXXX")
trap 'rm -rf "$T"' EXIT
_pass=0
_fail=0

pass() { _pass=$((_pass + 1)); echo "ok   $1"; }
fail() { _fail=$((_fail + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "    $l"; done; }

# check NAME CMD...: passes when CMD exits 0.
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "command: $*" "$(echo "$out" | tail -n 5)"; fi
}

# expect_eq NAME GOT WANT
expect_eq() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got:  $(printf '%q' "$2")" "want: $(printf '%q' "$3")"; fi
}

# expect_contains NAME HAYSTACK NEEDLE
expect_contains() {
  case "$2" in
    *"$3"*) pass "$1" ;;
    *) fail "$1" "output: $(echo "$2" | head -c 600)" "does not contain: $3" ;;
  esac
}

# expect_exit NAME CODE CMD...: runs CMD, checks its exit code; leaves
# stdout in $OUT and stderr in $ERR.
expect_exit() {
  local name=$1 want=$2; shift 2
  OUT=$("$@" 2>"$T/.stderr")
  local rc=$?
  ERR=$(cat "$T/.stderr")
  if [ "$rc" -eq "$want" ]; then pass "$name"; else fail "$name" "exit $rc, want $want: $*" "stderr: $ERR"; fi
}

# wait_for CMD...: polls until CMD succeeds, for at most POND_TEST_WAIT
# seconds (default 120: a generous bound for a loaded machine, never a
# timing assertion). Returns CMD's last status.
wait_for() {
  local end=$(( $(date +%s) + ${POND_TEST_WAIT:-120} ))
  until "$@"; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.05
  done
}

# icebird_rows TABLE: the rows of the table's current snapshot as sorted
# JSON lines, read by icebird, an independent Iceberg reader (tests/node),
# from the table's folder and current metadata file as pond shows them.
icebird_rows() {
  local loc
  loc=$("$POND" show "$1" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["location"], d["metadata_file"].split("/")[-1])')
  node "$NODE_DIR/iceberg_read.mjs" $loc | sort
}

# kill_after MS CMD...: runs CMD in the background, output dropped, and
# sends it SIGKILL after MS milliseconds unless it ended before. Succeeds
# when the signal ended it: kill succeeds on a process that ended but was
# not waited for, so only the exit status says whether the signal ended
# it. Sets KILL_AFTER_RAN_MS to how long CMD ran (to within a few ms).
kill_after() {
  local ms=$1 pid start state
  shift
  "$@" > /dev/null 2>&1 &
  pid=$!
  start=${EPOCHREALTIME/./}
  # An ended child stays a zombie until waited for: its state says so
  # (read by the shell itself: a process per look would cost more than
  # the look).
  while [ $(((${EPOCHREALTIME/./} - start) / 1000)) -lt "$ms" ]; do
    state=
    read -r _ _ state _ 2>/dev/null < "/proc/$pid/stat"
    [ -n "$state" ] && [ "$state" != Z ] || break
    sleep 0.005
  done
  KILL_AFTER_RAN_MS=$(((${EPOCHREALTIME/./} - start) / 1000))
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ $? -eq 137 ]
}

# Rounds of kills at random points. kill_round CMD... runs CMD and kills
# it after a random delay of up to 1.25 times KILL_BASE_MS: that becomes
# how long CMD ran when it ended by itself, and grows by a quarter when a
# kill landed (200 ms at first; a caller may set it from a timed run). So
# kills land before, during and after CMD's work on a fast machine as on a
# loaded one; KILLED counts the kills that landed.
# kill_rounds_left ROUND is true for rounds 1 to 6, and after that while
# no kill has landed, up to round 24: the check that some did is bound by
# progress, not by a count of tries that a fast or slow run can defeat.
KILL_BASE_MS=200
KILLED=0
kill_round() {
  if kill_after $((RANDOM % (KILL_BASE_MS * 5 / 4 + 1))) "$@"; then
    KILLED=$((KILLED + 1))
    KILL_BASE_MS=$((KILL_BASE_MS * 5 / 4 + 1))
  else
    KILL_BASE_MS=$((KILL_AFTER_RAN_MS > 0 ? KILL_AFTER_RAN_MS : 1))
  fi
}
kill_rounds_left() {
  [ "$1" -le 6 ] || { [ "$KILLED" -eq 0 ] && [ "$1" -le 24 ]; }
}

finish() {
  echo "$_pass passed, $_fail failed"
  [ "$_fail" -eq 0 ]
}

# pg_project DIR PREFIX: a new project in DIR whose catalog is in the
# suite's PostgreSQL server (POND_TEST_PG_URL) under a catalog name of its
# own (PREFIX and a random number). Without the server: a failed check
# "postgres catalog" and status 1.
pg_project() {
  if [ -z "${POND_TEST_PG_URL:-}" ]; then
    fail "postgres catalog" "POND_TEST_PG_URL is not set: run the suite through tests/run.sh"
    return 1
  fi
  "$POND" init --bare "$1" > /dev/null &&
    printf 'name: pg\nwarehouse: warehouse\ncatalog: %s\ncatalog_name: %s%s\n' "$POND_TEST_PG_URL" "$2" \
      "$RANDOM$RANDOM" > "$1/pond.yml"
}

# s3_bucket PREFIX: a new bucket PREFIX-PID on the suite's S3 test server
# (POND_TEST_S3_URL, in U; the bucket's name in B), with no AWS settings of
# the machine running the tests and HOME in $T. Without the server the
# script fails and stops.
s3_bucket() {
  if [ -z "${POND_TEST_S3_URL:-}" ]; then
    fail "POND_TEST_S3_URL is not set: run the suite through tests/run.sh"
    finish; exit
  fi
  U=$POND_TEST_S3_URL
  B="$1-$$"
  curl -sf -X PUT "$U/$B" >/dev/null || fail "create bucket $B"
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
    AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
  export HOME="$T/home"
  mkdir -p "$HOME"
}

# rest_serve_start DIR TOKEN: pond serve in the project DIR on a free
# port with TOKEN and no scheduler; sets PID, and URI to its Iceberg REST
# catalog (http://HOST:PORT/iceberg). Fails, showing the server's stderr,
# when it does not come up.
rest_serve_start() {
  (cd "$1" && exec "$POND" serve --listen 127.0.0.1:0 --token "$2" --no-scheduler) \
    > "$T/serve.out" 2> "$T/serve.err" &
  PID=$!
  URI=
  _serve_up() {
    URI=$(grep -o 'http://[0-9.:]*' "$T/serve.out" 2> /dev/null | head -n 1)
    [ -n "$URI" ] || ! kill -0 "$PID" 2> /dev/null
  }
  wait_for _serve_up
  [ -n "$URI" ] || { echo "server did not start:"; cat "$T/serve.err"; return 1; }
  URI="$URI/iceberg"
}

# rest_serve_stop: SIGTERM to the server, its exit status in STOP_RC.
rest_serve_stop() {
  kill -TERM "$PID" 2> /dev/null
  wait "$PID"
  STOP_RC=$?
}

# node_checks LABEL CMD...: runs a check script (tests/node) whose "ok   X"
# and "FAIL X" lines count here as LABEL: X; its "value NAME VALUE" lines
# land in $T/values for value_of NAME; other lines are shown.
node_checks() {
  local label=$1 line
  shift
  "$@" > "$T/client.out" 2>&1
  : > "$T/values"
  while IFS= read -r line; do
    case "$line" in
      "ok   "*) pass "$label: ${line#ok   }" ;;
      "FAIL "*) fail "$label: ${line#FAIL }" ;;
      "value "*) echo "${line#value }" >> "$T/values" ;;
      *) echo "    $line" ;;
    esac
  done < "$T/client.out"
}

value_of() { sed -n "s/^$1 //p" "$T/values" | tail -n 1; }

# s3_storage PYML WAREHOUSE: points a pond.yml's warehouse at the S3 URL
# WAREHOUSE and adds the test server's storage settings ($U, the
# credentials named LAKE_KEY and LAKE_SECRET).
s3_storage() {
  sed -i "s|^warehouse: .*|warehouse: $2|" "$1"
  cat >> "$1" <<EOF

storage:
  endpoint: $U
  region: us-east-1
  path_style: true
  access_key_id_env: LAKE_KEY
  secret_access_key_env: LAKE_SECRET
EOF
}
