#!/usr/bin/env bash
# The EBD route's latency on air: from the platform's POST of a severity-1 EBM for 510400
# (POST /api/ebd, a signed package) to the first attention-signal sample arriving on a
# channel's UDP MPEG-TS output, decoded by FFmpeg; and, in the same run and alternating with
# it (A B B A), the same for the JSON route (POST /api/alerts, an API token). The channel is
# `kapok serve`'s own demo radio channel with a UDP output on loopback (channel_outputs).
# Figures go to bench/notes/ebd-latency.md.
#
#   bench/ebd-latency.sh                   # debug build, 5 pairs
#   PROFILE=release RUNS=10 bench/ebd-latency.sh
#
# Needs the simulator's venv (scripts/setup-debian.sh: gmssl) and ffmpeg.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
PROFILE=${PROFILE:-debug}
TARGET=${CARGO_TARGET_DIR:-target}
flag=(); dir=debug; [ "$PROFILE" = release ] && { flag=(--release); dir=release; }
cargo build -q "${flag[@]}" -p kapok
BIN=$TARGET/$dir/kapok
PY=${KAPOK_TEST_EBD_PYTHON:-${KAPOK_TOOLS:-$HOME/.cache/kapok}/ebdsim/bin/python}
SIM=tests/sim/ebd_platform.py
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

"$PY" "$SIM" keygen > "$work/kapok.json"
"$PY" "$SIM" keygen > "$work/platform.json"
field() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
field "$work/kapok.json" private > "$work/kapok.hex"
once='{"interrupt":{"mode":"next_frame"},"attention_signal":true,"repeat_count":0,"repeat_interval_s":60}'
echo "{\"extreme\":$once}" > "$work/policy.json"
password='bench-EBD-latency-2026'
api=$(port); up=$(port); udp=$(port)
env KAPOK_DATA="$work/data" KAPOK_LISTEN="127.0.0.1:$api" KAPOK_ADMIN_PASSWORD="$password" \
  KAPOK_ALERT_POLICY_FILE="$work/policy.json" KAPOK_CHANNEL_OUTPUTS="pzh-demo-radio=udp://127.0.0.1:$udp" \
  KAPOK_EBD_EBRID=34510421000000000000001 KAPOK_EBD_PLATFORM_EBRID=24510400000000000000001 \
  KAPOK_EBD_PLATFORM_URL="http://127.0.0.1:$up/" KAPOK_EBD_SIGNING_KEY_FILE="$work/kapok.hex" \
  KAPOK_EBD_CERT_SN=KAPOK0001 KAPOK_ALERT_SM2_KEYS="5A5A0001=$(field "$work/platform.json" public)" \
  RUST_LOG=warn "$BIN" serve > "$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 120); do curl -fs "http://127.0.0.1:$api/api/openapi.json" > /dev/null 2>&1 && break; sleep 0.5; done
cli() { KAPOK_DATA="$work/data" "$BIN" "$@"; }
admin=$(cli token create --user admin --name bench | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["token"])')
echo "profile $PROFILE, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" bench/ebd-latency.py --base "http://127.0.0.1:$api" --token "$admin" --udp "$udp" \
  --private "$(field "$work/platform.json" private)" --kapok-public "$(field "$work/kapok.json" public)" \
  --runs "$RUNS" || { tail -n 20 "$work/serve.log"; exit 1; }
