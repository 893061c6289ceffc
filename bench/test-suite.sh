#!/usr/bin/env bash
# The test command's wall time, cold and warm: a fresh clone of HEAD with an empty target
# directory runs `./kapok.sh test` (what CI does), then runs it again unchanged (warm).
# Prints both with the step times the command logs. Takes 20-30 minutes on 2 cores.
#
#   bench/test-suite.sh            # HEAD of this checkout
#   REV=3df5a8d bench/test-suite.sh  # another commit, e.g. the one before a change, for the reference
set -euo pipefail
cd "$(dirname "$0")/.."
rev=$(git rev-parse "${REV:-HEAD}")
dir=$(mktemp -d /tmp/kapok-suite.XXXXXX)
git clone -q . "$dir" && git -C "$dir" checkout -q "$rev"
run() {
  local label=$1 start end
  start=$(date +%s)
  (cd "$dir" && CI=true ./kapok.sh test >"$dir/$label.log" 2>&1) || { echo "$label: FAILED (log $dir/$label.log)"; exit 1; }
  end=$(date +%s)
  local tests binaries
  tests=$(grep -h "^test result" "$dir/$label.log" | awk '{p+=$4} END {print p}')
  binaries=$(grep -ch "^test result" "$dir/$label.log")
  echo "$label: $((end - start)) s, $tests tests passed in $binaries test binaries (commit ${rev:0:7}, load $(cut -d' ' -f1-3 /proc/loadavg))"
  grep "^== " "$dir/$label.log" | sed 's/^/  /'
}
run cold
run warm
rm -rf "$dir"
