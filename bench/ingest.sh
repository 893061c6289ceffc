#!/usr/bin/env bash
# Ingest benchmarks (figures go to BENCHMARKS.md and bench/notes/ingest.md), release build:
#  (a) end to end: `kapok ingest --wait` of a generated 60 s 1920x1080@25 interlaced source with
#      stereo PCM (fresh KAPOK_DATA: SQLite + local store), from the command to `ready`,
#      against the single documented ffmpeg command of docs/house-format.md that makes only
#      the house file, same run, runs A B B A;
#  (b) loudness pass including decode, pinned to one core: the media child's `measure` on a
#      600 s AAC file (decode + libswresample + BS.1770 meter in one process), and the whole
#      `kapok probe` (facts child + measure child);
#  (c) peak RSS of the media child measuring 10 min and 2 h sources (flat in the duration);
#  (d) tus upload over loopback to the local store, with the server's peak RSS (ingest-upload.sh;
#      skip with KAPOK_BENCH_UPLOAD_MIB=0).
# Usage: bench/ingest.sh [WORK_DIR]   (run from the workspace root; honours CARGO_TARGET_DIR)
#        BENCH_PARTS=a bench/ingest.sh DIR   runs only the parts named (default abcd)
set -euo pipefail
work="${1:-$(mktemp -d)}"
mkdir -p "$work"
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -p kapok >/dev/null 2>&1
kapok="$target/release/kapok"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "machine: $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ffmpeg: $(ffmpeg -hide_banner -version | head -1)"

# 60 s 1080i25 (top field first, flagged interlaced), stereo PCM 48 kHz / 24 bit, in MOV.
src="$work/src-1080i25-60s.mov"
if [ ! -s "$src" ]; then
  ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=s=1920x1080:r=25:d=60 \
    -f lavfi -i "sine=f=440:r=48000:d=60,aformat=channel_layouts=stereo,volume=-12dB" \
    -c:v libx264 -preset ultrafast -crf 20 -flags +ildct+ilme -x264opts tff=1 \
    -c:a pcm_s24le "$src"
fi

parts="${BENCH_PARTS:-abcd}"

# (a) Kapok end to end: submit, process (probe and loudness pass; then one decode in the media
#     child for transcode, re-measure, QC detectors, proxy, poster, strip), store, ready.
n=0
kapok_run() {
  n=$((n + 1))
  local data="$work/kapok-data-$n"
  rm -rf "$data"
  local t0 t1; t0=$(now)
  { time KAPOK_DATA="$data" "$kapok" ingest "$src" --centre 510421 --title "bench $n" --category 新闻 --wait \
      > "$work/kapok-$n.json" 2> "$work/kapok-$n.log"; } 2> "$work/cpu-kapok-$n"
  t1=$(now); elapsed "$t0" "$t1"
}
# CPU seconds (user + system, the process and every child it waited for) of run files $@.
TIMEFORMAT='%3U %3S'
cpu() { cat "$@" | awk '{ s += $1 + $2 } END { printf "%.1f", s }'; }

# (a) The documented ffmpeg command (docs/house-format.md) for an interlaced source
#     (deint=all), same gain, D = 60.
wl="mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,mpegts,mxf,avi,wav,w64,mp3,flac,ogg,aac,ac3,eac3,mpeg,dv,gxf,aiff,caf,asf,flv,h264,hevc,m4v,mpegvideo,yuv4mpegpipe,amr"
f=0
ffmpeg_run() {
  local t0 t1; t0=$(now)
  f=$((f + 1))
  { time ffmpeg -nostdin -v error -y -protocol_whitelist file -format_whitelist "$wl" -i "file:$src" \
    -map 0:v:0 -map 0:a:0 \
    -vf "bwdif=mode=send_frame:parity=auto:deint=all,fps=25,scale=1920:1080:force_original_aspect_ratio=decrease:flags=bicubic,pad=1920:1080:(ow-iw)/2:(oh-ih)/2:black,setsar=1,format=yuv420p" \
    -af "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,volume=$(printf '%.2f' "$gain")dB:precision=float,apad" \
    -t 60.000000 \
    -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p -crf 18 -maxrate 20000k -bufsize 20000k \
    -g 25 -keyint_min 25 -sc_threshold 0 -flags +cgop -fps_mode cfr -r 25 \
    -c:a aac -b:a 256k -ar 48000 -ac 2 \
    -shortest -map_metadata -1 -map_chapters -1 -max_muxing_queue_size 4096 -movflags +faststart -f mp4 "$work/ffmpeg-house.mp4"; } 2> "$work/cpu-ffmpeg-$f"
  t1=$(now); elapsed "$t0" "$t1"
}

# Order A B B A, so that load drift from the other users of the machine hits both equally.
k1=$(kapok_run)
status=$(sed -n 's/^  "status": "\([a-z]*\)".*/\1/p' "$work/kapok-1.json" | head -1)
gain=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["loudness"]["gain"]["gain_db"])' "$work/kapok-1.json" 2>/dev/null || echo 0)
f=0; f1=$(ffmpeg_run); f=1; f2=$(ffmpeg_run); n=1; k2=$(kapok_run)
kapok_s=$(awk -v a="$k1" -v b="$k2" 'BEGIN { printf "%.2f", a + b }')
ffmpeg_s=$(awk -v a="$f1" -v b="$f2" 'BEGIN { printf "%.2f", a + b }')
ratio=$(awk -v k="$kapok_s" -v f="$ffmpeg_s" 'BEGIN { printf "%.3f", k / f }')
echo "(a) kapok ingest --wait, 60 s 1080i25 + stereo PCM, to '${status}', runs A B B A: kapok ${k1} + ${k2} s, ffmpeg house only ${f1} + ${f2} s"
echo "    ratio kapok/ffmpeg = ${ratio} (target <= 1.25, goal 1.10); gain ${gain} dB"
kc=$(cpu "$work"/cpu-kapok-[12]); fc=$(cpu "$work"/cpu-ffmpeg-[12])
echo "    CPU seconds (user + sys, children included; steadier than wall time on a shared machine): kapok ${kc}, ffmpeg ${fc}, ratio $(awk -v k="$kc" -v f="$fc" 'BEGIN { printf "%.3f", k / f }')"

if [[ "$parts" == *b* || "$parts" == *c* ]]; then
# (b) Loudness pass including decode, one core.
long="$work/long-600s.m4a"
[ -s "$long" ] || ffmpeg -nostdin -v error -y -f lavfi -i "anoisesrc=r=48000:a=0.1:d=600" -ac 2 -c:a aac -b:a 192k "$long"
t0=$(now); taskset -c 0 "$kapok" __media-child measure "$long" 0 2 48000 > /dev/null; t1=$(now)
m_s=$(elapsed "$t0" "$t1")
t0=$(now); taskset -c 0 "$kapok" probe "$long" --json > "$work/long-probe.json"; t1=$(now)
p_s=$(elapsed "$t0" "$t1")
echo "(b) loudness pass incl. AAC decode, one core (taskset -c 0), 600 s stereo 48 kHz:"
echo "    media child measure: ${m_s} s = $(awk -v p="$m_s" 'BEGIN { printf "%.0f", 600 / p }')x real time (target >= 350x)"
echo "    kapok probe (facts child + measure child): ${p_s} s = $(awk -v p="$p_s" 'BEGIN { printf "%.0f", 600 / p }')x real time"

# (c) Peak RSS of the media child, 10 min against 2 h of audio.
huge="$work/long-7200s.m4a"
[ -s "$huge" ] || ffmpeg -nostdin -v error -y -f lavfi -i "anoisesrc=r=48000:a=0.1:d=7200" -ac 2 -c:a aac -b:a 128k "$huge"
rss() { /usr/bin/time -f %M "$kapok" __media-child measure "$1" 0 2 48000 2>&1 >/dev/null | tail -1; }
echo "(c) media child peak RSS (measure): 600 s $(rss "$long") KiB, 7200 s $(rss "$huge") KiB"
echo "    media child peak RSS (facts): 600 s $(/usr/bin/time -f %M "$kapok" __media-child facts "$long" 2>&1 >/dev/null | tail -1) KiB, 7200 s $(/usr/bin/time -f %M "$kapok" __media-child facts "$huge" 2>&1 >/dev/null | tail -1) KiB"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# (d) tus upload over loopback: a separate script, so it can be run alone.
if [[ "$parts" == *d* ]] && [ "${KAPOK_BENCH_UPLOAD_MIB:-1024}" != 0 ]; then
  bash "$(dirname "$0")/ingest-upload.sh" "$work" "${KAPOK_BENCH_UPLOAD_MIB:-1024}"
fi
