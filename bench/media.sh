#!/usr/bin/env bash
# Streaming-put throughput and peak memory of the media store (results in bench/notes/media.md).
# Usage: bench/media.sh [MiB]   (default 1024; needs moto for the S3 run, see docs/storage.md)
set -euo pipefail
cd "$(dirname "$0")/.."
mib="${1:-1024}"
cargo build --release -p catalog --features test-support --example media_put_bench
bin=target/release/examples/media_put_bench
for backend in local s3; do
  /usr/bin/time -v "$bin" "$backend" "$mib" 2>"target/media_bench_$backend.time"
  grep -E "Elapsed|Maximum resident" "target/media_bench_$backend.time"
done
