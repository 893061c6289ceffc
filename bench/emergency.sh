#!/bin/sh
# Alert validation / targeting / SM2 verification throughput (schedules::emergency).
# Usage: bench/emergency.sh   (from the workspace root; builds schedules in release mode)
set -eu
cd "$(dirname "$0")/.."
cargo run --quiet --release -p schedules --example emergency_bench
