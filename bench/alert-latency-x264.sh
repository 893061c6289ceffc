#!/usr/bin/env bash
# What the TV channel's x264 settings cost in picture quality, for the alert latency
# (bench/notes/alert-latency.md): each variant encodes the same 720p25 clips at the channel's
# CBR budget (4 Mbit/s, 1 s VBV, 2 s closed GOP, veryfast, bframes=2 without b-adapt) with
# FFmpeg's libx264 (the library GStreamer's x264enc wraps), and the result is compared with
# the source (PSNR and SSIM, FFmpeg's filters). The encoder's delay in frames follows x264:
# max(bframes, rc-lookahead) + frame threads - 1 (+ sync-lookahead); sliced threads add none.
#
#   bench/alert-latency-x264.sh               # 10 s per clip
#   SECS=4 bench/alert-latency-x264.sh
set -euo pipefail
SECS=${SECS:-10}
base="bitrate=4000:vbv-maxrate=4000:vbv-bufsize=4000:nal-hrd=cbr:keyint=50:min-keyint=50:scenecut=0"
base="$base:open-gop=0:bframes=2:b-adapt=0:sync-lookahead=0"
variants=(
  "rc-lookahead=5:threads=3|as on air before (x264's automatic threads on 2 cores: 3)|7"
  "rc-lookahead=5:threads=2|threads=2 (this change)|6"
  "rc-lookahead=5:threads=1|threads=1|5"
  "rc-lookahead=2:threads=2|rc-lookahead=2, threads=2|3"
  "rc-lookahead=5:threads=2:sliced-threads=1|sliced threads (2)|5"
  "rc-lookahead=0:bframes=0:mbtree=0:threads=2:sliced-threads=1|as tune=zerolatency (no B-frames, no lookahead, no mbtree, sliced threads)|0"
)
clips=("testsrc2=size=1280x720:rate=25" "testsrc2=size=1280x720:rate=25,noise=alls=12:allf=t")
names=("testsrc2 (graphics, motion)" "testsrc2 + temporal noise (grain)")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "| variant | encoder delay (frames) | clip | PSNR Y (dB) | SSIM | encode CPU (user+sys s) |"
echo "|---|---|---|---|---|---|"
for v in "${variants[@]}"; do
  IFS='|' read -r params label delay <<<"$v"
  for k in "${!clips[@]}"; do
    out="$dir/v.ts"
    cpu=$( { /usr/bin/time -f "%U %S" ffmpeg -v error -y -f lavfi -i "${clips[$k]}" -t "$SECS" -pix_fmt yuv420p \
      -c:v libx264 -preset veryfast -profile:v high -x264-params "$base:$params" "$out" ; } 2>&1 | tail -1 | awk '{print $1+$2}')
    q=$(ffmpeg -v info -i "$out" -f lavfi -i "${clips[$k]}" -t "$SECS" \
      -lavfi "[0:v]setpts=PTS-STARTPTS,split[a0][a1];[1:v]format=yuv420p,split[b0][b1];[a0][b0]psnr;[a1][b1]ssim" \
      -f null - 2>&1)
    psnr=$(grep -o "PSNR y:[0-9.]*" <<<"$q" | cut -d: -f2)
    ssim=$(grep -o "SSIM Y:[0-9.]*" <<<"$q" | cut -d: -f2)
    echo "| $label | $delay | ${names[$k]} | $psnr | $ssim | $cpu |"
  done
done
