#!/usr/bin/env bash
# Schedules benchmark: generate 7 days x 12 channels (6 TV + 6 radio, one pair per centre)
# against 100,000 synthetic programmes on one thread, then validate one day (mean of 100).
# Usage: bench/schedules.sh [PROGRAMMES]   (default 100000). Figures go to bench/schedules.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p schedules --example bench_generate
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
./target/release/examples/bench_generate "${1:-100000}"
