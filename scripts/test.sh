#!/usr/bin/env bash
# The gates and the whole suite: formatting, lints, every test of every crate (SQLite and a
# throwaway PostgreSQL; local and S3 media stores; real GStreamer and FFmpeg checked by ffprobe).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
tools="${KAPOK_TOOLS:-$HOME/.cache/kapok}"
if [ -z "${KAPOK_TEST_S3_SERVER:-}" ] && [ -x "$tools/moto/bin/moto_server" ]; then
  export KAPOK_TEST_S3_SERVER="$tools/moto/bin/moto_server"
fi
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

# The unused-dependency gate: cargo-machete (a source scan, ~2 s a run; building it once
# takes ~2 CPU-minutes, so only the test command installs it, not `./kapok.sh serve`).
if ! cargo machete --version 2>/dev/null | grep -q '0\.9\.2'; then
  echo "test: installing cargo-machete 0.9.2"
  cargo install cargo-machete --version 0.9.2 --locked --quiet
fi

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "Debian packaging (scripts/check-package.sh)"; scripts/check-package.sh
step "unused dependencies (cargo machete)"
cargo machete
step "browser UI build (npm ci, npm run build), before the Rust tests so the embedded-UI test serves it"
(cd ui && npm ci --no-audit --no-fund && npm run build)
# A test that hangs must fail the run with its name on screen (libtest prints "has been
# running for over 60 seconds"), not eat CI's 90 minutes: the whole test step normally takes
# 15-20 minutes cold, so it is stopped at 55 (timeout signals cargo and the test processes
# under it), the browser test at 15.
watchdog() {
  local limit=$1; shift
  local rc=0
  timeout --kill-after=30 "$limit" "$@" || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "test: stopped after ${limit}s: a test hung (the last 'has been running' lines above name it)" >&2
  fi
  return "$rc"
}
step "cargo test"
watchdog 3300 cargo test --workspace --no-fail-fast "$@"
step "browser UI in headless Chromium (ui/test.sh)"
watchdog 900 env KAPOK_UI_BUILT=1 KAPOK_UI_REQUIRE_ROUTE=1 ui/test.sh
step "done"
