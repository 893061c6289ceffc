#!/usr/bin/env bash
# Soak: `kapok serve` (all in one: API, worker, both demo channels on air) on a fresh data
# directory for DURATION seconds (default 3600) with a trickle of work on it:
#   - every 2 minutes a 10 s 720p clip uploaded through tus and ingested by the worker;
#   - every 5 s a few API reads (programme search, channels, the day's schedule, alerts, health);
#   - every 10 minutes an emergency alert (Severe, the whole network) that airs on both channels.
# Every minute it samples the server process: RSS, CPU seconds, threads, open descriptors, and
# both channels' frame/sample counters from /metrics. At the end it prints the RSS slope after
# the first 10 minutes (MiB per hour and % of the 10-minute RSS per hour), threads and
# descriptors at start and end, and whether the channels ever stopped advancing.
#
# KAPOK_SOAK_IDLE=1: no uploads, reads or alerts (the channels alone), to tell growth that
# comes with work from growth of a server left on air.
# Each sample also splits RSS by kind of mapping (smaps): the malloc heap and anonymous
# mappings (glibc arenas, GStreamer/GLib buffers), file-backed pages (code, the catalog's
# memory-mapped SQLite), and shared memory, so a growth can be told where it lives.
#
# Usage: bench/soak.sh [WORK_DIR] [DURATION_S]     (run from the workspace root)
# KAPOK_BENCH_BIN=PATH uses that binary (default target/release/kapok, built here).
# Output: WORK_DIR/samples.csv and a summary on stdout (copy it into bench/notes/soak.md).
set -euo pipefail
work="${1:-$(mktemp -d)}"
duration="${2:-3600}"
mkdir -p "$work"
if [ -n "${KAPOK_BENCH_BIN:-}" ]; then
  kapok="$KAPOK_BENCH_BIN"
else
  cargo build --release -p kapok --bin kapok >/dev/null 2>&1
  kapok="$PWD/target/release/kapok"
fi
data="$work/data"; rm -rf "$data"
port=$((20000 + RANDOM % 20000))
pass="soak password 2026"
KAPOK_DATA="$data" KAPOK_LISTEN="127.0.0.1:$port" KAPOK_ADMIN_PASSWORD="$pass" RUST_LOG=info \
  "$kapok" serve > "$work/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 600); do curl -sf "$base/hls/pzh-demo-tv/index.m3u8" >/dev/null && break; sleep 0.5; done
jar="$work/cookies"
csrf=$(curl -sf -c "$jar" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$pass\"}" "$base/api/auth/login" \
  | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
clip="$work/clip.mp4"
[ -s "$clip" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=25 -f lavfi -i sine=frequency=440 \
  -t 10 -c:v libx264 -preset veryfast -c:a aac "$clip"
len=$(stat -c %s "$clip")
b64() { printf %s "$1" | base64 -w0; }

upload() {
  local n=$1 loc
  loc=$(curl -sf -i -b "$jar" -H "X-CSRF-Token: $csrf" -X POST "$base/api/uploads" \
    -H 'Tus-Resumable: 1.0.0' -H "Upload-Length: $len" \
    -H "Upload-Metadata: filename $(b64 soak-$n.mp4),title $(b64 "浸泡测试 $n"),centre $(b64 510400)" \
    | tr -d '\r' | sed -n 's/^location: //Ip')
  curl -sf -o /dev/null -b "$jar" -H "X-CSRF-Token: $csrf" -X PATCH "$base$loc" -H 'Tus-Resumable: 1.0.0' \
    -H 'Content-Type: application/offset+octet-stream' -H 'Upload-Offset: 0' -H 'Expect:' -T "$clip" || echo "upload $n failed" >&2
}
alert() {
  local n=$1 sent expires
  sent=$(date -u +%Y-%m-%dT%H:%M:%SZ); expires=$(date -u -d '+5 min' +%Y-%m-%dT%H:%M:%SZ)
  curl -sf -o /dev/null -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' "$base/api/alerts" -d \
    "{\"id\":\"SOAK-$n\",\"sender\":\"soak@510400\",\"sent\":\"$sent\",\"status\":\"Actual\",\"msg_type\":\"Alert\",\"severity\":\"Severe\",\"urgency\":\"Immediate\",\"certainty\":\"Observed\",\"event\":\"暴雨\",\"headline\":\"浸泡测试暴雨橙色预警\",\"areas\":[{\"desc\":\"攀枝花市\",\"codes\":[\"510400\"]}],\"expires\":\"$expires\",\"language\":\"zh-CN\"}" \
    || echo "alert $n failed" >&2
}
reads() {
  for p in "/api/programmes?q=%E8%8A%92%E6%9E%9C" /api/channels /api/alerts /healthz /api/reports/airtime; do
    curl -sf -o /dev/null -b "$jar" "$base$p" || true
  done
}
counters() { # audio samples out of each channel, from /metrics (both channels carry sound)
  curl -sf "$base/metrics" | awk '/^kapok_playout_samples_total/ { s = s " " $NF } END { print s }'
}

idle="${KAPOK_SOAK_IDLE:-}"
# RSS (KiB) by kind of mapping: heap, other anonymous, file-backed, shared memory.
split_rss() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / { name = (NF >= 6 ? $6 : ""); inode = $5 }
       /^Rss:/ { if (name == "[heap]") h += $2; else if (inode == 0 && name !~ /^\// ) a += $2;
                 else if (name ~ /^\/dev\/shm|^\/memfd/) m += $2; else f += $2 }
       END { printf "%d,%d,%d,%d", h, a, f, m }' "/proc/$pid/smaps"
}
echo "minute,rss_kib,cpu_s,threads,fds,heap_kib,anon_kib,file_kib,shm_kib,counters" > "$work/samples.csv"
hz=$(getconf CLK_TCK)
start=$(date +%s)
n=0
uploads=()
next_sample=$start
while :; do
  now=$(date +%s)
  [ $((now - start)) -ge "$duration" ] && break
  if [ "$now" -ge "$next_sample" ]; then
    minute=$(((now - start) / 60))
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    thr=$(awk '/Threads/ {print $2}' "/proc/$pid/status")
    fds=$(ls "/proc/$pid/fd" | wc -l)
    cpu=$(awk -v hz="$hz" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$pid/stat")
    echo "$minute,$rss,$cpu,$thr,$fds,$(split_rss),$(counters)" >> "$work/samples.csv"
    next_sample=$((next_sample + 60))
    if [ -z "$idle" ] && [ $((minute % 2)) -eq 0 ]; then upload "$minute" & uploads+=($!); fi
    if [ -z "$idle" ] && [ $((minute % 10)) -eq 5 ]; then alert "$minute"; fi
  fi
  [ -z "$idle" ] && reads
  n=$((n + 1))
  sleep 5
done
for u in "${uploads[@]}"; do wait "$u" 2>/dev/null || true; done

python3 - "$work/samples.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def col(k): return [float(r[k]) for r in rows]
m, rss, cpu = col("minute"), col("rss_kib"), col("cpu_s")
after = [(x, y) for x, y in zip(m, rss) if x >= 10]
if len(after) >= 2:
    n = len(after); mx = sum(x for x, _ in after) / n; my = sum(y for _, y in after) / n
    slope = sum((x - mx) * (y - my) for x, y in after) / max(1e-9, sum((x - mx) ** 2 for x, _ in after))
    base = after[0][1]
    print(f"RSS at 10 min {base/1024:.0f} MiB, at end {rss[-1]/1024:.0f} MiB; slope after 10 min "
          f"{slope*60/1024:+.1f} MiB/h = {slope*60/base*100:+.2f} %/h (target < 1 %/h)")
for k in ("heap_kib", "anon_kib", "file_kib", "shm_kib"):
    v = col(k)
    i10 = next((i for i, x in enumerate(m) if x >= 10), 0)
    print(f"  {k[:-4]:>5}: start {v[0]/1024:.0f} MiB, 10 min {v[i10]/1024:.0f} MiB, end {v[-1]/1024:.0f} MiB")
print(f"CPU {cpu[-1]:.0f} s over {m[-1]:.0f} min = {cpu[-1]/max(1,m[-1]*60)*100:.0f} % of one core on average")
print(f"threads {rows[0]['threads']} -> {rows[-1]['threads']}, descriptors {rows[0]['fds']} -> {rows[-1]['fds']}")
stalls = 0
prev = None
for r in rows:
    c = [float(x) for x in r["counters"].split()]
    if prev is not None and len(c) == len(prev) and any(a <= b for a, b in zip(c, prev)):
        stalls += 1
    prev = c
print(f"minutes in which a channel counter did not advance: {stalls}")
PY
echo "at the end, late (repeated) frames and silent samples per channel: $(curl -sf "$base/metrics" \
  | awk '/^kapok_playout_late_(frames|samples)_total/ { printf "%s ", $0 }')"
echo "samples: $work/samples.csv; server log: $work/serve.log; load now: $(cut -d' ' -f1-3 /proc/loadavg)"
