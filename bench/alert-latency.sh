#!/usr/bin/env bash
# Emergency alert latency end to end, from outside: from the moment the HTTP POST of an alert
# is sent to the first attention-signal sample on a channel's UDP MPEG-TS output, decoded live
# by ffmpeg; and from the Cancel's POST to the last such sample. Cases: the all-in-one
# `kapok serve` (its demo TV 720p25 and radio channels, one city-wide alert reaching both) and
# a remote node (`kapok playout`, a 米易 radio channel, pushed over the alert stream). Release
# build; a fresh data directory each run. Figures go to bench/notes/alert-latency.md and
# BENCHMARKS.md. Targets: all-in-one radio ≤ 0.2 s, TV ≤ 0.5 s; remote node ≤ 1 s (goal 0.5 s).
#
#   bench/alert-latency.sh                 # 5 alerts per case
#   RUNS=10 CASES=node bench/alert-latency.sh
#   PROFILE=dev bench/alert-latency.sh     # the debug build (slower; not the figure to quote)
#   CPU_SECS=30 CASES=serve bench/alert-latency.sh   # first the CPU of `kapok serve`, 30 s
#   KAPOK=/path/to/kapok bench/alert-latency.sh      # another build (before/after comparisons)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
CASES=${CASES:-serve,node}
PROFILE=${PROFILE:-release}
target=${CARGO_TARGET_DIR:-target}
[ -n "${KAPOK:-}" ] || cargo build -q --profile "$PROFILE" -p kapok --bin kapok
dir=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
exec python3 bench/alert-latency.py --kapok "${KAPOK:-$target/$dir/kapok}" --runs "$RUNS" --cases "$CASES" \
  ${KEEP:+--keep} ${CPU_SECS:+--cpu-seconds "$CPU_SECS"}
