#!/usr/bin/env bash
# A whole broadcast day on the virtual clock (issue 19, soak): renders HOURS (default 24) of a
# channel — half-hour programmes, durations that are not whole frames or AAC frames, and a
# missing source every so often (slate and silence) — and checks at the end that the frame and
# sample counts are exact: the engine's own counters against the schedule, and an independent
# decode of the written MPEG-TS (ffprobe/ffmpeg) against both.
#
#   bench/render-day.sh                     # 24 h of radio (48 kHz stereo AAC)
#   FORMAT=720x576 HOURS=1 bench/render-day.sh   # TV (x264; 24 h of SD takes hours on 2 cores)
#
# Prints a Markdown table; exits 1 when a count is off.
set -euo pipefail
cd "$(dirname "$0")/.."
HOURS=${HOURS:-24}
FORMAT=${FORMAT:-radio}
WORK=${WORK:-$(mktemp -d)}
trap 'rm -rf "$WORK"' EXIT
cargo build --release -q -p playout --example render
BIN=target/release/examples/render

# One 30-minute source (1 kHz tone; TV: moving pattern), encoded once.
if [ "$FORMAT" = radio ]; then
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=1800" \
    -c:a aac -ac 2 "$WORK/src.m4a"
  src="$WORK/src.m4a"
  format='{"kind":"radio","sample_rate":48000,"channels":2}'
else
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=$FORMAT:r=25:d=1800" \
    -f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=1800" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -ac 2 "$WORK/src.mp4"
  src="$WORK/src.mp4"
  format="{\"kind\":\"tv\",\"width\":${FORMAT%x*},\"height\":${FORMAT#*x},\"fps\":\"25/1\"}"
fi

# Each hour: 1795.37 s + 4.63 s of slate (a missing source) + 1800 s. The day is exactly HOURS h.
python3 - "$WORK/p.json" "$src" "$format" "$HOURS" "$WORK/none.wav" <<'PY'
import json, sys
out, src, fmt, hours, missing = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
items = []
for _ in range(hours):
    items += [{"source": src, "duration": 1795.37}, {"source": missing, "duration": 4.63},
              {"source": src, "duration": 1800}]
json.dump({"format": fmt, "items": items}, open(out, "w"))
PY

# The TS is checked as it is written, through a pipe: 24 h of even 320x180 TV is ~29 GB, more
# than a test machine's disk should hold. Independent of the engine: ffmpeg decodes the audio
# (AAC frames are 1024 samples and the encoder adds priming, so the decoded count may differ
# from the engine's by less than two AAC frames); ffprobe counts the video packets (exact).
check() {
  tee >(wc -c > "$WORK/bytes") >(ffprobe -v error -select_streams v:0 -count_packets \
      -show_entries stream=nb_read_packets -of csv=p=0 -i pipe:0 > "$WORK/vcount" 2>/dev/null) \
    | ffmpeg -hide_banner -loglevel error -i pipe:0 -map 0:a:0 -ac 1 -f s16le - | wc -c > "$WORK/acount"
  sleep 1 # the byte count and ffprobe end just after tee
  touch "$WORK/checked"
}

echo "Load before: $(uptime)"
# The engine writes to /dev/fd/3, the checker's pipe (a FIFO would see the engine's first
# open-and-close, its check that the output is writable, as the end of the stream).
/usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$BIN" "$WORK/p.json" /dev/fd/3 \
  > "$WORK/report.json" 2> "$WORK/render.log" 3> >(check)
while [ ! -e "$WORK/checked" ]; do sleep 1; done
read -r wall user sys rss_kb < "$WORK/time"

python3 - "$WORK/report.json" "$HOURS" "$FORMAT" "$wall" "$((rss_kb / 1024))" > "$WORK/engine.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); hours = int(sys.argv[2]); tv = sys.argv[3] != "radio"
want_samples = hours * 3600 * 48000
want_frames = hours * 3600 * 25 if tv else 0
per_item_samples = sum(a["samples"] for a in r["as_run"])
per_item_frames = sum(a["frames"] for a in r["as_run"])
ok = (r["samples_out"] == want_samples and r["frames_out"] == want_frames
      and per_item_samples == want_samples and per_item_frames == want_frames)
print(f"{r['samples_out']} {want_samples} {r['frames_out']} {want_frames} {per_item_samples} {per_item_frames} "
      f"{len(r['as_run'])} {r['speed']:.1f} {'ok' if ok else 'OFF'}")
PY
read -r samples want_samples frames want_frames item_samples item_frames lines speed engine_ok < "$WORK/engine.txt"

decoded_samples=$(( $(cat "$WORK/acount") / 2 ))
if [ "$FORMAT" = radio ]; then
  decoded_frames=0
else
  # ffprobe names the stream once per program and once alone: the first number is the count.
  decoded_frames=$(grep -m1 -o '[0-9]\+' "$WORK/vcount" || echo 0)
fi
diff=$((decoded_samples - want_samples)); diff=${diff#-}
file_ok=ok
if [ "$diff" -ge 2048 ] || [ "$decoded_frames" -ne "$want_frames" ]; then file_ok=OFF; fi

echo
echo "## ${HOURS} h of $FORMAT on the virtual clock ($(nproc) cores, release)"
echo
echo "| what | expected | engine counters | per-item as-run sum | decoded from the TS | |"
echo "|---|---|---|---|---|---|"
echo "| audio samples | $want_samples | $samples | $item_samples | $decoded_samples (±2048: AAC framing) | $engine_ok / $file_ok |"
echo "| video frames | $want_frames | $frames | $item_frames | $decoded_frames | $engine_ok / $file_ok |"
echo
echo "as-run lines $lines; wall ${wall} s (${speed}× real time); CPU $(python3 -c "print(round($user+$sys))") s; peak RSS ${rss_kb} kB; TS $(( $(cat "$WORK/bytes") / 1000000 )) MB (checked through a pipe, not kept)"
[ "$engine_ok" = ok ] && [ "$file_ok" = ok ]
