#!/usr/bin/env bash
# (c) tus upload over loopback to the local store (figures go to bench/notes/ingest.md):
# a generated random file (default 1 GiB) is created and sent in one streamed PATCH
# (curl -T, never buffered) to `kapok serve --role api` on SQLite + the local store; the
# wall time covers POST, PATCH and the server's join of the segments into the source
# (SHA-256 on the way). Reports MB/s and the server's peak RSS (VmHWM).
# Usage: bench/ingest-upload.sh [WORK_DIR] [SIZE_MIB]   (run from the workspace root)
# KAPOK_BENCH_PROFILE=debug uses target/debug/kapok (default: release, built here).
# KAPOK_BENCH_BIN=PATH runs that kapok binary instead (e.g. an older build, for a before/after pair in one run).
# KAPOK_BENCH_MALLOC=N starts the server with MALLOC_ARENA_MAX=N, which also makes kapok skip its
# own malloc tuning (ingest::allocator); N=16 is glibc's default on 2 cores (the "before" figure).
set -euo pipefail
work="${1:-$(mktemp -d)}"
mib="${2:-1024}"
profile="${KAPOK_BENCH_PROFILE:-release}"
mkdir -p "$work"
if [ -n "${KAPOK_BENCH_BIN:-}" ]; then
  kapok="$KAPOK_BENCH_BIN"
else
  if [ "$profile" = release ]; then cargo build --release -p kapok --bin kapok >/dev/null 2>&1; fi
  kapok="$PWD/target/$profile/kapok"
fi
now() { date +%s.%N; }

file="$work/upload-${mib}MiB.bin"
[ -s "$file" ] || head -c "$((mib * 1024 * 1024))" /dev/urandom > "$file"
len=$(stat -c %s "$file")

data="$work/data"; rm -rf "$data"
port=$((20000 + RANDOM % 20000))
KAPOK_DATA="$data" KAPOK_LISTEN="127.0.0.1:$port" KAPOK_ADMIN_PASSWORD="bench password 123" \
  RUST_LOG=warn env ${KAPOK_BENCH_MALLOC:+MALLOC_ARENA_MAX=$KAPOK_BENCH_MALLOC} "$kapok" serve --role api > "$work/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
jar="$work/cookies"
csrf=$(curl -sf -c "$jar" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"bench password 123"}' "$base/api/auth/login" \
  | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
b64() { printf %s "$1" | base64 -w0; }

t0=$(now)
created=$(curl -sf -i -b "$jar" -H "X-CSRF-Token: $csrf" -X POST "$base/api/uploads" \
  -H 'Tus-Resumable: 1.0.0' -H "Upload-Length: $len" \
  -H "Upload-Metadata: filename $(b64 bench.bin),title $(b64 bench),centre $(b64 510421)" | tr -d '\r')
loc=$(printf '%s\n' "$created" | sed -n 's/^location: //Ip')
programme=$(printf '%s\n' "$created" | sed -n 's/^kapok-programme-id: //Ip')
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -H "X-CSRF-Token: $csrf" -X PATCH "$base$loc" \
  -H 'Tus-Resumable: 1.0.0' -H 'Content-Type: application/offset+octet-stream' -H 'Upload-Offset: 0' \
  -H 'Expect:' -T "$file")
t1=$(now)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "(c) tus upload ${mib} MiB over loopback, $profile build, one PATCH: HTTP $code in ${secs} s" \
     "= $(awk -v n="$len" -v s="$secs" 'BEGIN { printf "%.0f", n / s / 1e6 }') MB/s (target >= 200)"
echo "    server RSS before $((rss_before / 1024)) MiB, peak (VmHWM) $((hwm / 1024)) MiB (budget: +64 MiB for the upload)"
echo "    load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Checked outside the timed part: the stored source's SHA-256 is the file's.
want=$(sha256sum "$file" | cut -d' ' -f1)
got=$(curl -sf -b "$jar" "$base/api/programmes/$programme/assets" | tr ',' '\n' | sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p' | head -1)
if [ "$got" = "$want" ]; then echo "    source SHA-256 matches the file ($want)"; else echo "    SHA-256 MISMATCH: stored '$got', file $want"; exit 1; fi
