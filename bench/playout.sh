#!/usr/bin/env bash
# Playout engine benchmark: virtual-clock render speed (× real time) per channel format, and
# the CPU one channel uses in real time.
#
#   bench/playout.sh                          # from anywhere; needs ffmpeg, GStreamer 1.22
#   SECONDS_PER_FORMAT=60 LIVE_SECONDS=30 bench/playout.sh
#   FORMATS=radio LIVE_SECONDS=60 bench/playout.sh   # only some formats (space-separated)
#
# Sources are house-format H.264/AAC clips (moving testsrc2 pattern + 1 kHz tone, 10 s, at the
# channel's size), generated here. Output: x264enc CBR (speed-preset veryfast for SD and 720p,
# superfast for 1080p: playout::output::x264_preset) + AAC in MPEG-TS.
set -euo pipefail
cd "$(dirname "$0")/.."
LEN=${SECONDS_PER_FORMAT:-30}
LIVE_SECONDS=${LIVE_SECONDS:-20}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q -p playout --example render --example live
BIN=target/release/examples
read -r -a FORMATS <<< "${FORMATS:-720x576 1280x720 1920x1080 radio}"

clip() { # WxH
  [ -f "$WORK/src-$1.mp4" ] && return
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=s=$1:r=25:d=10" -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=10" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -ac 2 "$WORK/src-$1.mp4"
}

playlist() { # channel → $WORK/p.json of LEN seconds (10 s items)
  local size=$1 src format items="" i
  if [ "$size" = radio ]; then
    src="$WORK/src-1280x720.mp4"; clip 1280x720
    format='{"kind":"radio","sample_rate":48000,"channels":2}'
  else
    src="$WORK/src-$size.mp4"; clip "$size"
    format="{\"kind\":\"tv\",\"width\":${size%x*},\"height\":${size#*x},\"fps\":\"25/1\"}"
  fi
  for i in $(seq 1 $((LEN / 10))); do items+="${items:+,}{\"source\":\"$src\",\"duration\":10}"; done
  echo "{\"format\":$format,\"items\":[$items]}" > "$WORK/p.json"
}

echo "Load before: $(uptime)"
echo
echo "## Virtual clock: ${LEN} s of channel per format, $(nproc) cores, x264 veryfast (SD, 720p) / superfast (1080p)"
echo
echo "| channel | wall s | × real time | CPU s (user+sys) |"
echo "|---|---|---|---|"
for f in "${FORMATS[@]}"; do
  playlist "$f"
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$BIN/render" "$WORK/p.json" "$WORK/out.ts" > "$WORK/report.json"
  read -r wall user sys < "$WORK/time"
  speed=$(python3 -c "import json;print(round(json.load(open('$WORK/report.json'))['speed'],2))")
  echo "| $f@25 | $wall | $speed | $(python3 -c "print(round($user+$sys,1))") |"
done

echo
echo "## Real time (system clock): ${LIVE_SECONDS} s on air into a .ts file, x264 veryfast (SD, 720p) / superfast (1080p)"
echo
echo "| channel | CPU % of one core | frames out | expected |"
echo "|---|---|---|---|"
for f in "${FORMATS[@]}"; do
  playlist "$f"
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$BIN/live" "$WORK/p.json" "$LIVE_SECONDS" "$WORK/live.ts" > "$WORK/report.json"
  read -r wall user sys < "$WORK/time"
  frames=$(python3 -c "import json;print(json.load(open('$WORK/report.json'))['frames_out'])")
  expected=$([ "$f" = radio ] && echo 0 || echo $((LIVE_SECONDS * 25)))
  echo "| $f@25 | $(python3 -c "print(round(100*($user+$sys)/$wall, 1))") | $frames | $expected |"
done
echo
echo "Load after: $(uptime)"
