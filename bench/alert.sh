#!/usr/bin/env bash
# Emergency alert latency per channel kind: from the moment an alert is accepted (T) to the
# first attention-signal block arriving on the channel's UDP MPEG-TS output, and from a cancel
# to the signal's end; measured by playout/tests/it/alert_latency.rs on a real-time channel
# (start_realtime), the output decoded by ffmpeg. Figures go to bench/notes/alert.md.
#
#   bench/alert.sh                      # 5 runs, TV 1280x720p25 and radio 48 kHz stereo
#   RUNS=10 KAPOK_ALERT_TV_SIZE=1920x1080 bench/alert.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
export KAPOK_ALERT_TV_SIZE=${KAPOK_ALERT_TV_SIZE:-1280x720}
cargo test --release -q -p playout --test it --no-run
lines=$(mktemp)
trap 'rm -f "$lines"' EXIT
for i in $(seq "$RUNS"); do
  # A run over the 1 s limit fails the test but still prints its figures: keep them.
  cargo test --release -q -p playout --test it alert_latency:: -- --nocapture --test-threads=1 2>&1 \
    | grep -o 'ALERT-LATENCY.*' | tee -a "$lines" || true
done
summary() { # kind field → "min median max"
  grep "^ALERT-LATENCY $1:" "$lines" | sed -E "s/.* $2 ([0-9.]+) s.*/\1/" | sort -n \
    | awk '{v[NR]=$1} END {if (NR==0) {print "no data"; exit} m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.3f / %.3f / %.3f s (n=%d)\n", v[1], m, v[NR], NR}'
}
echo
echo "kind              | alert → first attention sample on the output (min / median / max) | cancel → signal gone"
for kind in "tv $KAPOK_ALERT_TV_SIZE" radio; do
  printf '%-17s | %s | %s\n' "$kind" "$(summary "$kind" onset)" "$(summary "$kind" cancel)"
done
