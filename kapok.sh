#!/usr/bin/env bash
# Kapok's two commands on a Debian 12 machine with Rust installed:
#   ./kapok.sh serve   install what is missing, build, run `kapok serve` on the embedded defaults
#   ./kapok.sh test    install what is missing, then fmt, clippy and the whole test suite
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
  serve)
    shift
    scripts/setup-debian.sh
    (cd ui && npm ci --no-audit --no-fund && npm run build)
    cargo build --release --bin kapok
    exec target/release/kapok serve "$@"
    ;;
  test)
    shift
    scripts/setup-debian.sh
    exec scripts/test.sh "$@"
    ;;
  *)
    echo "usage: ./kapok.sh serve | test" >&2
    exit 2
    ;;
esac
