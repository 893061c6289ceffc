#!/usr/bin/env bash
# Load test of the catalog web API (issue 5): 100,000 programmes, 64 connections over
# loopback, wrk --latency. Cases: a trivial axum handler (the ceiling), get-by-id (random
# readable ids), a list page (50 items), a Chinese search (芒果, ranked). Run from the
# workspace root:  bench/web.sh [sqlite|postgres] [N] [DURATION]
# Needs: wrk (Debian package `wrk`). PostgreSQL: the test harness's throwaway cluster
# (Debian postgresql packages), as in the catalog tests.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${1:-sqlite}
N=${2:-100000}
DURATION=${3:-15s}
CONNS=${CONNS:-64}
THREADS=2
PORT=18080
TRIVIAL_PORT=18081
INFO=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$INFO"' EXIT

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
# NO_BUILD=1: run the server binary already built (another engineer's build may be running).
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p kapok --example web_bench_server
target/release/examples/web_bench_server "$BACKEND" "$N" "$PORT" "$TRIVIAL_PORT" "$INFO" &
SERVER=$!
for _ in $(seq 1 1200); do [ -f "$INFO/ready" ] && break; sleep 0.5; done
[ -f "$INFO/ready" ] || { echo "server did not start" >&2; exit 1; }
TOKEN=$(cat "$INFO/token")

# get-by-id: each request picks one of ~1,000 readable ids at random.
{
  echo 'ids = {'
  sed 's/.*/"&",/' "$INFO/ids"
  echo '}'
  echo 'request = function() return wrk.format("GET", "/api/programmes/" .. ids[math.random(#ids)]) end'
} > "$INFO/byid.lua"

run() { # name, url, [script]
  echo "== $1 ($BACKEND, $N programmes, ${CONNS} connections, $DURATION)"
  local extra=()
  [ -n "${3:-}" ] && extra=(-s "$3")
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "${extra[@]}" "$2" \
    | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors|Latency  '
}

# SEARCH_ONLY=1: only the uncached searches (gated and ungated), for a quick A/B.
if [ -z "${SEARCH_ONLY:-}" ]; then
  run trivial "http://127.0.0.1:$TRIVIAL_PORT/trivial"
  run get-by-id "http://127.0.0.1:$PORT/api/programmes" "$INFO/byid.lua"
  run list-page "http://127.0.0.1:$PORT/api/programmes?limit=50"
fi
# Searches: the same query again and again (answered from the 10 s search cache after the
# first), a mix of 24 queries (cached after each one's first), and the cache switched off
# (every request asks the index: 芒果 matches ~12,000 of the 100,000, title matches first).
# Uncached, each case runs twice, on PORT+2 (searches admitted through the store's search
# gate, as `kapok serve` runs them) and on PORT+3 (ungated: every request in the database at
# once, as before the gate), one after the other on the same database.
{
  echo 'qs = {'
  for q in 芒果 玉米 暴雨 预警 彝族 火把节 少儿 安全 新闻 4K 纪录片 CCTV 2024年 春耕 枇杷 森林防火 乡村振兴 钒钛 康养 石榴 交通 米易 盐边 格萨拉; do
    printf '"%s",\n' "$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$q")"
  done
  echo '}'
  echo 'request = function() return wrk.format("GET", "/api/programmes?limit=20&q=" .. qs[math.random(#qs)]) end'
} > "$INFO/search.lua"
if [ -z "${SEARCH_ONLY:-}" ]; then
  run search-芒果-cached "http://127.0.0.1:$PORT/api/programmes?q=%E8%8A%92%E6%9E%9C&limit=20"
  run search-mix-cached "http://127.0.0.1:$PORT/api/programmes" "$INFO/search.lua"
fi
for round in $(seq 1 "${ROUNDS:-1}"); do
  for gate in gated ungated; do
    port=$((PORT + 2)); [ "$gate" = ungated ] && port=$((PORT + 3))
    run "search-芒果-uncached-$gate" "http://127.0.0.1:$port/api/programmes?q=%E8%8A%92%E6%9E%9C&limit=20"
    run "search-暴雨预警-uncached-$gate" "http://127.0.0.1:$port/api/programmes?q=%E6%9A%B4%E9%9B%A8%E9%A2%84%E8%AD%A6&limit=20"
    run "search-mix-uncached-$gate" "http://127.0.0.1:$port/api/programmes" "$INFO/search.lua"
  done
done
[ -n "${SEARCH_ONLY:-}" ] || CONNS=4 run search-芒果-uncached-4conns "http://127.0.0.1:$((PORT + 2))/api/programmes?q=%E8%8A%92%E6%9E%9C&limit=20"
# KEEP=1: leave the server running for word-by-word timing (Ctrl-C ends it).
[ -z "${KEEP:-}" ] || { echo "server on $PORT..$((PORT + 3)), token $TOKEN"; wait "$SERVER"; }
