#!/usr/bin/env bash
# Playout engine benchmark: virtual-clock render speed (× real time) per channel format,
# and, in real time, the CPU used per channel kind.
#
#   bench/playout.sh            # from the repository root; needs ffmpeg, GStreamer 1.22
#   SECONDS_PER_FORMAT=60 bench/playout.sh
#
# Sources are house-format H.264/AAC clips of a moving test pattern (testsrc2) with a tone,
# generated here; the channel output is x264 (speed-preset=veryfast, CBR) + AAC in MPEG-TS.
set -euo pipefail
cd "$(dirname "$0")/.."
LEN=${SECONDS_PER_FORMAT:-30}
LIVE_SECONDS=${LIVE_SECONDS:-20}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q -p playout --example render --example live
BIN=target/release/examples

clip() { # name w h
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=s=$2x$3:r=25:d=10" -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=10" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -ac 2 "$WORK/$1.mp4"
}

playlist() { # out kind w h
  local n=$((LEN / 10)) items="" i
  for i in $(seq 1 "$n"); do items+="${items:+,}{\"source\":\"$WORK/$4.mp4\",\"duration\":10}"; done
  if [ "$2" = radio ]; then
    echo "{\"format\":{\"kind\":\"radio\",\"sample_rate\":48000,\"channels\":2},\"items\":[${items}]}" > "$1"
  else
    echo "{\"format\":{\"kind\":\"tv\",\"width\":$3,\"height\":${5},\"fps\":\"25/1\"},\"items\":[${items}]}" > "$1"
  fi
}

echo "## virtual clock: ${LEN} s of channel per format (x264 veryfast), $(nproc) cores"
echo "| channel | render wall s | × real time | CPU s (user+sys) |"
echo "|---|---|---|---|"
for spec in "720x576 720 576" "1280x720 1280 720" "1920x1080 1920 1080" "radio 1280 720"; do
  set -- $spec
  name=$1 w=$2 h=$3
  [ -f "$WORK/src$w.mp4" ] || clip "src$w" "$w" "$h"
  if [ "$name" = radio ]; then playlist "$WORK/p.json" radio 0 "src$w" 0; else playlist "$WORK/p.json" tv "$w" "src$w" "$h"; fi
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$BIN/render" "$WORK/p.json" "$WORK/out.ts" > "$WORK/report.json"
  read -r wall user sys < "$WORK/time"
  speed=$(python3 -c "import json;print(round(json.load(open('$WORK/report.json'))['speed'],2))")
  echo "| $name@25 | $wall | $speed | $(python3 -c "print(round($user+$sys,1))") |"
done

echo
echo "## real time (system clock): ${LIVE_SECONDS} s on air, output to a .ts file, CPU% of one core"
echo "| channel | CPU % |"
echo "|---|---|"
for spec in "720x576 720 576" "1280x720 1280 720" "1920x1080 1920 1080" "radio 1280 720"; do
  set -- $spec
  name=$1 w=$2 h=$3
  if [ "$name" = radio ]; then playlist "$WORK/p.json" radio 0 "src$w" 0; else playlist "$WORK/p.json" tv "$w" "src$w" "$h"; fi
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$BIN/live" "$WORK/p.json" "$LIVE_SECONDS" "$WORK/live.ts" > /dev/null
  read -r wall user sys < "$WORK/time"
  echo "| $name@25 | $(python3 -c "print(round(100*($user+$sys)/$wall))") |"
done
