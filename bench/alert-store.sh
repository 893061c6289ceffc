#!/usr/bin/env bash
# The emergency desk under a flood: 1,000 POSTs of one alert through the real API (token auth,
# validation, de-duplication, the catalog write of the first) on SQLite and PostgreSQL, as
# tests/it/api/alert_store.rs `a_flood_of_one_alert…` measures it. Figures go to bench/notes/alert-store.md.
#
#   bench/alert-store.sh                  # release build, 3 runs
#   PROFILE=dev RUNS=1 bench/alert-store.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
PROFILE=${PROFILE:-release}
flag=(); [ "$PROFILE" = release ] && flag=(--release)
cargo test "${flag[@]}" -q -p kapok --test it --no-run
for i in $(seq "$RUNS"); do
  cargo test "${flag[@]}" -q -p kapok --test it a_flood_of_one_alert -- --nocapture --test-threads=1 2>&1 \
    | grep -o 'ALERT-FLOOD.*' || true
done
