#!/usr/bin/env bash
# Playout channel benchmark: how fast a restarted channel is back on air (and where it joins),
# how soon after the call an override is on the channel's timeline (in frames), and the media
# cache's fetch + SHA-256 verify throughput.
#
#   bench/playout-channel.sh            # from anywhere; needs ffmpeg, jq, GStreamer 1.22
#   RESTARTS=10 CACHE_MB=500 bench/playout-channel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RESTARTS=${RESTARTS:-5}
CACHE_MB=${CACHE_MB:-300}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q -p playout --example channel
BIN=target/release/examples/channel

# A 720p25 house-format programme of 120 s, scheduled to have started 30 s ago: every start
# of the channel joins it mid-item.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=1280x720:r=25:d=120" \
  -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=120" \
  -c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -c:a aac -ac 2 "$WORK/prog.mp4"
START=$(date -u -d '-30 seconds' +%Y-%m-%dT%H:%M:%S.%NZ)
cat > "$WORK/day.json" <<JSON
{"format":{"kind":"tv","width":1280,"height":720,"fps":"25/1"},"start":"$START",
 "items":[{"source":"$WORK/prog.mp4","duration":120,"title":"prog"}]}
JSON

echo "## restart: start → first frame on air (720p25, joining mid-item), $RESTARTS starts"
for i in $(seq 1 "$RESTARTS"); do
  "$BIN" air "$WORK/day.json" 2 "$WORK/out-$i.ts" \
    | jq -r '"to_air_s=\(.to_air_s|.*1000|round/1000) expected_into_s=\(.expected_into_s) \(.joined)"'
done

echo "## override: call → the override's first frame on the timeline (720p25 in real time), ${OVERRIDES:-20} calls"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "smptebars=s=1280x720:r=25:d=5" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=5" \
  -c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -c:a aac -ac 2 "$WORK/override.mp4"
# Opened at the call, then armed ahead (ChannelHandle::arm_override) 0.4 s before each call.
for mode in override override-armed; do
  echo "# $mode"
  "$BIN" "$mode" "$WORK/day.json" "$WORK/override.mp4" "${OVERRIDES:-20}" "$WORK/out-$mode.ts" \
    | jq -c '{frame_ms, overrides, within_next_frame, frames_after_call_sorted, median_ms, max_ms, latency_ms_sorted}'
done

echo "## cache: ${CACHE_MB} MB in 3 files, DirFetcher → cache (SHA-256 verified)"
mkdir -p "$WORK/store/p" "$WORK/cache"
for f in a b c; do head -c $((CACHE_MB * 1000000 / 3)) /dev/urandom > "$WORK/store/p/$f.mp4"; done
"$BIN" prefetch "$WORK/store" "$WORK/cache" p/a.mp4 p/b.mp4 p/c.mp4 | jq -c .
