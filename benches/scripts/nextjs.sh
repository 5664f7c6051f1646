#!/usr/bin/env bash
# Next.js 16 vs the generated route, hello JSON, one run, alternating rounds.
#
#   benches/scripts/nextjs.sh [--smoke] [extra `load` args, e.g. --duration 5 --rounds 5]
#
# Creates a throwaway Next.js 16 app in /tmp (NEXTJS_APP_DIR, default /tmp/route-bench-nextjs;
# never in the repository), with one route handler app/api/hello/route.js answering
# {"message":"Hello World"}, runs `next build` and `next start` on 127.0.0.1, and points the
# in-project `load` binary at it, alternating with our `gen` server on the same path. The node
# process tree's peak memory is read from /proc. Skips (exit 0) when node/npm are missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SMOKE=0
LOAD_ARGS=()
for a in "$@"; do
  if [[ "$a" == "--smoke" ]]; then SMOKE=1; else LOAD_ARGS+=("$a"); fi
done
if [[ -n "${BENCH_SMOKE:-}" && "${BENCH_SMOKE}" != "0" ]]; then SMOKE=1; fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "nextjs: node/npm not installed: skipped (BENCHMARKS.md records the reference figures)"
  exit 0
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if (( NODE_MAJOR < 20 )); then
  echo "nextjs: Next.js 16 needs Node >= 20.9, found $(node --version): skipped"
  exit 0
fi

APP="${NEXTJS_APP_DIR:-/tmp/route-bench-nextjs}"
case "$APP" in
  "$ROOT"|"$ROOT"/*) echo "nextjs: NEXTJS_APP_DIR must be outside the repository" >&2; exit 2 ;;
esac
PORT="${NEXTJS_PORT:-3917}"
export NEXT_TELEMETRY_DISABLED=1

mkdir -p "$APP/app/api/hello"
cat > "$APP/package.json" <<'EOF'
{
  "name": "route-bench-nextjs",
  "private": true,
  "scripts": { "build": "next build", "start": "next start" },
  "dependencies": { "next": "^16", "react": "^19", "react-dom": "^19" }
}
EOF
cat > "$APP/next.config.mjs" <<'EOF'
/** @type {import('next').NextConfig} */
export default {};
EOF
cat > "$APP/app/api/hello/route.js" <<'EOF'
export async function GET() {
  return Response.json({ message: 'Hello World' });
}
EOF

cd "$APP"
if [[ ! -d node_modules/next ]]; then
  echo "nextjs: npm install next@16 react react-dom in $APP"
  npm install --no-audit --no-fund --loglevel=error
fi
echo "nextjs: $(node -p 'require("next/package.json").version') (node $(node --version))"
if [[ ! -f .next/BUILD_ID || app/api/hello/route.js -nt .next/BUILD_ID ]]; then
  node node_modules/next/dist/bin/next build >/tmp/route-bench-nextjs-build.log 2>&1 || {
    cat /tmp/route-bench-nextjs-build.log >&2; exit 1; }
fi

cd "$ROOT"
if [[ ! -x "${CARGO_TARGET_DIR:-$ROOT/target}/release/load" || ! -x "${CARGO_TARGET_DIR:-$ROOT/target}/release/bench-server" ]]; then
  cargo build --release -p route-benches --bins
fi

(cd "$APP" && NODE_ENV=production exec node node_modules/next/dist/bin/next start -H 127.0.0.1 \
  -p "$PORT" --keepAliveTimeout 60000 >/tmp/route-bench-nextjs-start.log 2>&1) &
NEXT_PID=$!
trap 'kill "$NEXT_PID" 2>/dev/null || true; wait "$NEXT_PID" 2>/dev/null || true' EXIT
# `next start` is ready when /api/hello answers.
for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$PORT/api/hello" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$NEXT_PID" 2>/dev/null; then cat /tmp/route-bench-nextjs-start.log >&2; exit 1; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/api/hello"; echo

SMOKE_ARGS=()
if (( SMOKE )); then SMOKE_ARGS=(--smoke); fi
# A = Next.js, B = the generated route: B/A is how many times faster the generated route is.
"${CARGO_TARGET_DIR:-$ROOT/target}/release/load" --url "http://127.0.0.1:$PORT/api/hello" --label nextjs --pid "$NEXT_PID" \
  --against gen --against-path /api/hello "${SMOKE_ARGS[@]}" "${LOAD_ARGS[@]}"
