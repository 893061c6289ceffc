#!/usr/bin/env bash
# Builds the browser UI (npm ci; npm run build: tsc --noEmit + vite build) and runs the
# headless-Chromium test against a real `kapok serve`.
#
#   ui/test.sh                      # uses target/debug/kapok (build it first: cargo build)
#   KAPOK_BIN=path/to/kapok ui/test.sh
#   KAPOK_UI_REQUIRE_ROUTE=1 ui/test.sh         # fail unless kapok itself serves ui/dist at /
#
# Screenshots of each step: tests/artifacts/ui/. Needs Debian's chromium (scripts/setup-debian.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "ui/test.sh: Chromium not found at $chromium." >&2
  echo "  Install it with: apt-get install -y --no-install-recommends chromium" >&2
  echo "  (scripts/setup-debian.sh does), or point CHROMIUM at a Chromium binary." >&2
  exit 1
fi
if ! command -v npm >/dev/null; then
  echo "ui/test.sh: npm not found (install nodejs and npm)." >&2
  exit 1
fi
export KAPOK_BIN="${KAPOK_BIN:-$repo/target/debug/kapok}"
if [[ ! -x "$KAPOK_BIN" ]]; then
  echo "ui/test.sh: no kapok binary at $KAPOK_BIN: run 'cargo build' first or set KAPOK_BIN." >&2
  exit 1
fi
cd "$here"
# scripts/test.sh builds the UI before the Rust tests (so the embedded-UI test sees it) and
# says so with KAPOK_UI_BUILT=1.
if [[ -z "${KAPOK_UI_BUILT:-}" ]]; then
  npm ci --no-audit --no-fund
  npm run build
fi
CHROMIUM="$chromium" node tests/browser.mjs
