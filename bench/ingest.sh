#!/usr/bin/env bash
# Ingest benchmarks (figures go to bench/notes/ingest.md):
#  (a) house transcode of a generated 60 s 1920x1080@25 clip: Kapok (measure + transcode +
#      re-measure) vs the equivalent ffmpeg command of docs/house-format.md, same run;
#  (b) loudness measurement throughput, 48 kHz stereo, pinned to one core;
#  (c) tus upload over loopback to the local store, with the server's peak RSS (ingest-upload.sh).
# Usage: bench/ingest.sh [WORK_DIR]   (run from the workspace root)
set -euo pipefail
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
cargo build --release -p ingest --example ingest_cli >/dev/null 2>&1
cli="$PWD/target/release/examples/ingest_cli"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ffmpeg: $(ffmpeg -hide_banner -version | head -1)"

src="$work/src-1080p25-60s.mp4"
if [ ! -s "$src" ]; then
  ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=s=1920x1080:r=25:d=60 \
    -f lavfi -i "sine=f=440:r=48000:d=60,aformat=channel_layouts=stereo" \
    -c:v libx264 -preset ultrafast -crf 20 -c:a aac -b:a 192k "$src"
fi

# (a) Kapok house transcode (ingest::house::transcode: measure, transcode with gain, re-measure).
kapok_run() {
  rm -rf "$work/kapok" && mkdir -p "$work/kapok"
  local t0 t1; t0=$(now)
  "$cli" house "$src" "$work/kapok" > "$work/kapok.json"
  t1=$(now); elapsed "$t0" "$t1"
}

# (a) The documented equivalent ffmpeg command (docs/house-format.md), same gain, D = 60.
wl="mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,mxf,avi,wav,w64,mp3,flac,ogg,aac,ac3,eac3,mpeg,dv,gxf,aiff,caf,asf,flv,h264,hevc,m4v,mpegvideo,yuv4mpegpipe,amr"
ffmpeg_run() {
  local t0 t1; t0=$(now)
  ffmpeg -nostdin -v error -y -protocol_whitelist file -format_whitelist "$wl" -i "file:$src" \
    -map 0:v:0 -map 0:a:0 \
    -vf "bwdif=mode=send_frame:parity=auto:deint=interlaced,fps=25,scale=1920:1080:force_original_aspect_ratio=decrease:flags=bicubic,pad=1920:1080:(ow-iw)/2:(oh-ih)/2:black,setsar=1,format=yuv420p" \
    -af "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,volume=$(printf '%.2f' "$gain")dB:precision=float,apad" \
    -t 60.000000 \
    -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p -crf 18 -maxrate 20000k -bufsize 20000k \
    -g 25 -keyint_min 25 -sc_threshold 0 -flags +cgop -fps_mode cfr -r 25 \
    -c:a aac -b:a 256k -ar 48000 -ac 2 \
    -shortest -map_metadata -1 -map_chapters -1 -max_muxing_queue_size 4096 -movflags +faststart -f mp4 "$work/ffmpeg-house.mp4"
  t1=$(now); elapsed "$t0" "$t1"
}

# Order A B B A, so that load drift from the other users of the machine hits both equally.
k1=$(kapok_run)
gain=$(sed -n 's/.*"gain_db": \(-\{0,1\}[0-9.e-]*\).*/\1/p' "$work/kapok.json" | head -1)
f1=$(ffmpeg_run); f2=$(ffmpeg_run); k2=$(kapok_run)
kapok_s=$(awk -v a="$k1" -v b="$k2" 'BEGIN { printf "%.2f", a + b }')
ffmpeg_s=$(awk -v a="$f1" -v b="$f2" 'BEGIN { printf "%.2f", a + b }')
ratio=$(awk -v k="$kapok_s" -v f="$ffmpeg_s" 'BEGIN { printf "%.3f", k / f }')
echo "(a) house transcode 60 s 1080p25, runs A B B A: kapok ${k1} + ${k2} s, ffmpeg ${f1} + ${f2} s"
echo "    ratio kapok/ffmpeg = ${ratio} (target <= 1.10); gain ${gain} dB; kapok $(awk -v k="$kapok_s" 'BEGIN { printf "%.2f", 120 / k }')x real time"
t0=$(now); "$cli" probe "$src" > /dev/null; "$cli" probe "$work/kapok/house.mp4" > /dev/null; t1=$(now)
echo "    of which the two loudness passes (source + house, incl. ffprobe) cost $(elapsed "$t0" "$t1") s"

# (b) Loudness: meter alone on synthetic audio, and end to end (ffmpeg decode -> pipe -> meter).
echo "(b) meter throughput, 600 s of 48 kHz stereo, one core (taskset -c 0):"
taskset -c 0 "$cli" bench-loudness 600
long="$work/long-600s.m4a"
[ -s "$long" ] || ffmpeg -nostdin -v error -y -f lavfi -i "anoisesrc=r=48000:a=0.1:d=600" -ac 2 -c:a aac -b:a 192k "$long"
t0=$(now)
taskset -c 0 "$cli" probe "$long" > "$work/long-probe.json"
t1=$(now)
probe_s=$(elapsed "$t0" "$t1")
echo "    end to end (ffprobe + AAC decode + pipe + meter, one core): 600 s in ${probe_s} s = $(awk -v p="$probe_s" 'BEGIN { printf "%.0f", 600 / p }')x real time"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# (c) tus upload over loopback: a separate script, so it can be run alone.
bash "$(dirname "$0")/ingest-upload.sh" "$work" "${KAPOK_BENCH_UPLOAD_MIB:-1024}"
