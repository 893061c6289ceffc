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
WARM=${WARM:-5}
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
echo "Whole run: user+sys CPU of the process over its wall time, start-up included (GStreamer's registry, the first"
echo "input's preroll). Steady: /proc/PID/stat ticks between ${WARM} s after start and 1 s before the end, which is what"
echo "a channel on air 24/7 costs."
echo
echo "| channel | CPU % of one core (whole run) | CPU % (steady, ${WARM}–$((LIVE_SECONDS - 1)) s) | frames out | expected |"
echo "|---|---|---|---|---|"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# steady CMD…: runs CMD (for LIVE_SECONDS) under time(1); sets $whole (CPU % over the whole run)
# and $steady (CPU % from WARM s after start to 1 s before the end).
steady() {
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@" > "$WORK/report.json" &
  local timer=$! pid t0 t1 s0 s1 wall user sys
  sleep 0.2
  pid=$(pgrep -P "$timer" -n)
  sleep "$WARM"; t0=$(ticks "$pid"); s0=$(date +%s.%N)
  sleep "$((LIVE_SECONDS - 1 - WARM))"; t1=$(ticks "$pid"); s1=$(date +%s.%N)
  wait "$timer"
  read -r wall user sys < "$WORK/time"
  whole=$(python3 -c "print(round(100*($user+$sys)/$wall, 1))")
  steady=$(python3 -c "print(round(100*($t1-$t0)/$(getconf CLK_TCK)/($s1-$s0), 2))")
}
for f in "${FORMATS[@]}"; do
  playlist "$f"
  steady "$BIN/live" "$WORK/p.json" "$LIVE_SECONDS" "$WORK/live.ts"
  frames=$(python3 -c "import json;print(json.load(open('$WORK/report.json'))['frames_out'])")
  expected=$([ "$f" = radio ] && echo 0 || echo $((LIVE_SECONDS * 25)))
  echo "| $f@25 | $whole | $steady | $frames | $expected |"
done
if [[ " ${FORMATS[*]} " == *" radio "* ]]; then
  # The floor for radio, in the same minute (the host's speed moves these figures; the ratio
  # holds): the same AAC encoder alone in gst-launch, fed a live 1 kHz tone in real time.
  steady gst-launch-1.0 -q audiotestsrc is-live=true wave=sine freq=1000 samplesperbuffer=1024 \
    num-buffers=$((LIVE_SECONDS * 48000 / 1024)) ! audio/x-raw,format=S16LE,rate=48000,channels=2 ! \
    audioconvert ! avenc_aac bitrate=128000 aac-coder=fast ! fakesink
  echo "| reference: gst-launch audiotestsrc (live 1 kHz tone) ! avenc_aac aac-coder=fast 128 kb/s ! fakesink | $whole | $steady | – | – |"
fi
echo
echo "Load after: $(uptime)"
