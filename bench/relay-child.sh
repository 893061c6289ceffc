#!/usr/bin/env bash
# Live relay decoded in a child (issue 19) versus in one process: CPU and RSS of a 576p25
# H.264/AAC UDP relay for SECS seconds, input side only (the engine and output are the same
# either way).
#   in-process: gst-launch of the pipeline Input::open built before (uridecodebin ! conform ! sink)
#   child:      kapok __relay-child (the same decode + conform, raw Matroska on stdout)
#               | gst-launch fdsrc ! matroskademux ! queue ! sink (what the playout process runs)
#
#   KAPOK=target/release/kapok SECS=20 bench/relay-child.sh
set -euo pipefail
cd "$(dirname "$0")/.."
KAPOK=${KAPOK:-${CARGO_TARGET_DIR:-target}/release/kapok}
SECS=${SECS:-20}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=720x576:r=25:d=10" \
  -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=10" \
  -c:v libx264 -preset veryfast -g 25 -pix_fmt yuv420p -c:a aac -ac 2 -f mpegts "$WORK/src.ts"
FORMAT='{"width":720,"height":576,"fps":"25/1","sample_rate":48000,"channels":2}'
V='video/x-raw,format=I420,width=720,height=576,pixel-aspect-ratio=1/1,framerate=25/1'
A='audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2'
TICK=$(getconf CLK_TCK)

# CPU seconds (user+system) and peak RSS (MiB) of pid $1.
usage() { awk -v t="$TICK" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; printf ' cpu_s, '
          awk '/VmHWM/{printf "%.0f MiB peak RSS", $2/1024}' "/proc/$1/status"; }

send() { ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$WORK/src.ts" -c copy -f mpegts \
           "udp://127.0.0.1:$1?pkt_size=1316" & }

echo "## in-process: uridecodebin + conform in one process, ${SECS} s"
send 47001; S=$!
gst-launch-1.0 -q uridecodebin uri=udp://127.0.0.1:47001 name=d \
  d. ! queue ! videoconvert ! deinterlace ! videoconvert ! videoscale ! videorate ! "$V" ! fakesink sync=false \
  d. ! queue ! audioconvert ! audioresample ! "$A" ! fakesink sync=false & P=$!
sleep "$SECS"; echo "process: $(usage $P)"; kill $P $S; wait $P $S 2>/dev/null || true

echo "## child: kapok __relay-child | fdsrc ! matroskademux (the playout side), ${SECS} s"
send 47002; S=$!
mkfifo "$WORK/hold" "$WORK/pipe"
sleep 1000 > "$WORK/hold" &
HOLD=$!
"$KAPOK" __relay-child --uri udp://127.0.0.1:47002 --format "$FORMAT" < "$WORK/hold" > "$WORK/pipe" & C=$!
gst-launch-1.0 -q fdsrc fd=0 blocksize=1048576 ! matroskademux name=x \
  x. ! queue max-size-time=0 max-size-buffers=0 max-size-bytes=62208000 ! "$V" ! fakesink sync=false \
  x. ! queue max-size-time=0 max-size-buffers=0 max-size-bytes=768000 ! "$A" ! fakesink sync=false < "$WORK/pipe" & P=$!
sleep "$SECS"; echo "child:  $(usage $C)"; echo "parent: $(usage $P)"; kill $P $C $S $HOLD; wait 2>/dev/null || true
