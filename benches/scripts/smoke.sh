#!/usr/bin/env bash
# Runs every benchmark in its smoke mode (seconds each, no timing assertions): for CI.
#
#   benches/scripts/smoke.sh
#
# Fails only when a benchmark cannot build or run, or a server answers with the wrong status.
# The Next.js comparison runs only when node/npm are installed (set BENCH_SMOKE_NEXTJS=0 to skip
# it; it needs the npm registry the first time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
export BENCH_SMOKE=1

echo "== build (release)"
cargo build --release -p route-benches --bins
echo "== load --smoke"
"$BIN/load" --smoke
echo "== load --smoke --control --only OPTIONS"
"$BIN/load" --smoke --control --only OPTIONS
echo "== micro --smoke"
"$BIN/micro" --smoke
echo "== http-instructions --smoke"
"$BIN/http-instructions" --smoke
echo "== scale --smoke"
"$BIN/scale" --smoke
echo "== compile-time.sh --smoke --instructions"
bash benches/scripts/compile-time.sh --smoke --instructions
if [[ "${BENCH_SMOKE_NEXTJS:-1}" != "0" ]]; then
  echo "== nextjs.sh --smoke"
  bash benches/scripts/nextjs.sh --smoke
fi
echo "benchmark smoke runs: all completed"
