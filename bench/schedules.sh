#!/usr/bin/env bash
# Schedules benchmark: generate 7 days x 12 channels (6 TV + 6 radio, one pair per centre)
# against 100,000 synthetic programmes on one thread, then validate one day (mean of 100).
# Usage: bench/schedules.sh [PROGRAMMES]   (default 100000). Figures go to bench/notes/schedules.md.
# Then the same through the catalog and the HTTP route (web/examples/schedule_bench_stored.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p schedules --example bench_generate
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
./target/release/examples/bench_generate "${1:-100000}"
# The stored path: the same catalog stored in the catalog database, each channel-day generated
# through POST /api/channels/{id}/days/{date}/generate (STORED_BACKEND=sqlite|postgres).
cargo build --release -q -p kapok --example schedule_bench_stored
./target/release/examples/schedule_bench_stored "${STORED_BACKEND:-sqlite}" "${1:-100000}"
