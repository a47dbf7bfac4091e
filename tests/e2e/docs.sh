#!/usr/bin/env bash
# End-to-end: every pond command in README.md and docs/*.md runs as
# written, in order. tests/docs_commands.py pulls the command lines out of
# their code blocks; the README's run from a folder where build/pond is the
# pond under test, each doc's in a fresh project made by `pond init`.
# Not run, and listed in the output as skipped, with the reason:
#   - synopses (a line with [OPTIONS], PLACEHOLDERS or a | b) and output;
#   - set-up and build commands (scripts/setup.sh, make);
#   - what serves until stopped: pond serve, pond schedule without
#     --once, pond demo without --no-serve (run with --no-serve instead);
#   - the interactive shell (pond sql alone) runs with stdin at EOF.
. "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

run_doc() {  # $1: markdown file, $2: folder to run in
  local doc=$1 base=$2 dir=$2 line kind cmd
  while IFS=$'\t' read -r line kind cmd; do
    case "$kind" in
      block) dir=$base ;;
      skip) echo "skip $doc:$line: $cmd" ;;
      run)
        local out rc
        # the folder a command ends in (a cd in the docs) is where the next
        # command of the same block runs
        out=$(cd "$dir" && PATH="$W/bin:$PATH" bash -c "$cmd
rc=\$?; pwd > '$T/.cwd'; exit \$rc" < /dev/null 2>&1)
        rc=$?
        [ -s "$T/.cwd" ] && dir=$(cat "$T/.cwd")
        rm -f "$T/.cwd"
        if [ $rc -eq 0 ]; then pass "$doc:$line: $cmd"; else fail "$doc:$line: $cmd" "exit $rc" "$(echo "$out" | tail -n 3)"; fi
        ;;
    esac
  done < <(python3 "$ROOT/tests/docs_commands.py" "$ROOT/$doc")
}

# `pond` and build/pond both name the binary under test.
W="$T/work"
mkdir -p "$W/bin" "$W/build"
ln -s "$POND" "$W/bin/pond"
ln -s "$POND" "$W/build/pond"

run_doc README.md "$W"
for doc in "$ROOT"/docs/*.md; do
  name=docs/$(basename "$doc")
  P="$T/$(basename "$doc" .md)"
  "$POND" init "$P" > /dev/null 2>&1 || { fail "$name: pond init"; continue; }
  run_doc "$name" "$P"
done
finish
