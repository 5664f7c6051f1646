#!/usr/bin/env bash
# Compile time: 200 `#[route]` modules vs the same 200 routes hand-written in axum.
#
#   benches/scripts/compile-time.sh [--smoke] [--routes N] [--rounds N] [--release] [--instructions]
#
# Generates, in /tmp (COMPILE_BENCH_DIR, default /tmp/route-compile-bench), a workspace of two
# binary crates with one file per route:
#   gen-routes  — `#[route("/r{i}/[id]")] pub mod route { GET, POST }` per file, `routes![..]`;
#   hand-routes — the same handlers with `Path<Params>`, `Router::route(.., get(..).post(..))`.
# Both depend on the same crates (route-runtime by absolute path to this repository, so the
# dependency graph is identical and only the crates' own code differs). Dependencies are built
# once first; then, alternating gen/hand:
#   clean       — `cargo clean -p <crate>` then `cargo build -p <crate>` (the crate itself);
#   incremental — one handler's body edited, then `cargo build -p <crate>`.
# Finally the proc-macro crate's own clean build: `cargo build -p route-macros` with a fresh
# target dir (its dependencies proc-macro2/quote/syn included). Prints medians and ratios.
# Dev profile unless --release. --smoke: 5 routes, 1 round, no proc-macro build.
# --instructions: also counts the instructions of rustc's incremental rebuild of each crate under
# valgrind (cachegrind, no cache simulation): the `rustc` command `cargo build -v` runs after one
# edit, run again after the next edit. Deterministic to ~0.1%, where times on a shared machine
# drift by tens of percent; the linker and cargo, the same for both crates, are not counted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SMOKE=0
N=200
ROUNDS=3
PROFILE_ARGS=()
PROFILE=dev
INSTRUCTIONS=0
while (( $# )); do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --routes) N="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --release) PROFILE_ARGS=(--release); PROFILE=release ;;
    --instructions) INSTRUCTIONS=1 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ -n "${BENCH_SMOKE:-}" && "${BENCH_SMOKE}" != "0" ]]; then SMOKE=1; fi
if (( SMOKE )); then N=5; ROUNDS=1; fi

WORK="${COMPILE_BENCH_DIR:-/tmp/route-compile-bench}"
case "$WORK" in
  "$ROOT"|"$ROOT"/*) echo "COMPILE_BENCH_DIR must be outside the repository" >&2; exit 2 ;;
esac
rm -rf "$WORK/gen-routes" "$WORK/hand-routes"
mkdir -p "$WORK/gen-routes/src" "$WORK/hand-routes/src"

AXUM_FEATURES='"tokio", "http1", "http2", "json", "query", "form", "original-uri", "matched-path"'
cat > "$WORK/Cargo.toml" <<EOF
[workspace]
members = ["gen-routes", "hand-routes"]
resolver = "2"

[workspace.dependencies]
route-runtime = { path = "$ROOT/route-runtime" }
axum = { version = "0.8.9", default-features = false, features = [$AXUM_FEATURES] }
tokio = { version = "1.48", features = ["rt-multi-thread", "macros", "net"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
EOF
# Same versions as the repository.
cp "$ROOT/Cargo.lock" "$WORK/Cargo.lock"

for crate in gen-routes hand-routes; do
  cat > "$WORK/$crate/Cargo.toml" <<EOF
[package]
name = "$crate"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
route-runtime.workspace = true
axum.workspace = true
tokio.workspace = true
serde.workspace = true
serde_json.workspace = true
EOF
done

# One route per file. Even routes: GET + POST with a dynamic param; odd: GET of a catch-all.
for (( i = 0; i < N; i++ )); do
  if (( i % 2 == 0 )); then
    cat > "$WORK/gen-routes/src/r$i.rs" <<EOF
use route_runtime::route;

#[route("/r$i/[id]")]
pub mod route {
    use route_runtime::{Json, RouteContext};
    use serde_json::{json, Value};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Value> {
        Json(json!({ "route": $i, "id": ctx.params.id, "v": "v000" }))
    }

    pub async fn POST(ctx: RouteContext<Params>, body: String) -> Json<Value> {
        Json(json!({ "route": $i, "id": ctx.params.id, "len": body.len() }))
    }
}
EOF
    cat > "$WORK/hand-routes/src/r$i.rs" <<EOF
use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct Params {
    pub id: String,
}

pub async fn get_handler(Path(params): Path<Params>) -> Json<Value> {
    Json(json!({ "route": $i, "id": params.id, "v": "v000" }))
}

pub async fn post_handler(Path(params): Path<Params>, body: String) -> Json<Value> {
    Json(json!({ "route": $i, "id": params.id, "len": body.len() }))
}

pub fn router() -> Router {
    Router::new().route("/r$i/{id}", get(get_handler).post(post_handler))
}
EOF
  else
    cat > "$WORK/gen-routes/src/r$i.rs" <<EOF
use route_runtime::route;

#[route("/r$i/[...slug]")]
pub mod route {
    use route_runtime::{Json, RouteContext};
    use serde_json::{json, Value};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Value> {
        Json(json!({ "route": $i, "slug": ctx.params.slug, "v": "v000" }))
    }
}
EOF
    cat > "$WORK/hand-routes/src/r$i.rs" <<EOF
use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

pub async fn get_handler(Path(rest): Path<String>) -> Json<Value> {
    let slug: Vec<&str> = rest.split('/').collect();
    Json(json!({ "route": $i, "slug": slug, "v": "v000" }))
}

pub fn router() -> Router {
    Router::new().route("/r$i/{*slug}", get(get_handler))
}
EOF
  fi
done

{
  for (( i = 0; i < N; i++ )); do echo "mod r$i;"; done
  echo
  echo "fn main() {"
  echo "    let app: axum::Router = route_runtime::routes!["
  for (( i = 0; i < N; i++ )); do echo "        r$i::route,"; done
  echo "    ]"
  echo "    .into_router();"
  echo "    let _ = std::hint::black_box(app);"
  echo "}"
} > "$WORK/gen-routes/src/main.rs"
{
  for (( i = 0; i < N; i++ )); do echo "mod r$i;"; done
  echo
  echo "fn main() {"
  echo "    let app = axum::Router::new()"
  for (( i = 0; i < N; i++ )); do echo "        .merge(r$i::router())"; done
  echo "        ;"
  echo "    let _ = std::hint::black_box(app);"
  echo "}"
} > "$WORK/hand-routes/src/main.rs"

cd "$WORK"
export CARGO_TARGET_DIR="$WORK/target"
CARGO=(cargo)
if cargo metadata --offline --format-version 1 >/dev/null 2>&1; then CARGO=(cargo --offline); fi

now() { date +%s.%N; }
# Prints the seconds `cargo build -p $1` takes; fails loudly if the build fails.
build_secs() {
  local start end
  start="$(now)"
  if ! "${CARGO[@]}" build -q "${PROFILE_ARGS[@]}" -p "$1" 2>/tmp/route-compile-bench-$1.log; then
    cat /tmp/route-compile-bench-$1.log >&2
    echo "compile-time: building $1 failed" >&2
    exit 1
  fi
  end="$(now)"
  echo "$end - $start" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
fmt() { printf '%.2f' "$1"; }

echo "# compile-time: $N routes, #[route] (gen-routes) vs hand-written axum (hand-routes), profile $PROFILE"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workspace: $WORK (rounds: $ROUNDS, alternating)"
(( SMOKE )) && echo "(smoke: figures meaningless)"

echo "building dependencies once (not measured)..."
"${CARGO[@]}" build -q "${PROFILE_ARGS[@]}" -p gen-routes -p hand-routes 2>/tmp/route-compile-bench-deps.log || {
  cat /tmp/route-compile-bench-deps.log >&2; exit 1; }

declare -a CLEAN_GEN CLEAN_HAND INC_GEN INC_HAND
EDIT=0
edit_handler() {
  # Edits one handler's body (route 0's GET): a real change, not just a timestamp.
  local file="$WORK/$1/src/r0.rs"
  EDIT=$((EDIT + 1))
  # The same length every time: a longer string would move every span after it, which makes
  # rustc redo more than the edited function (a hand-routes round once took 3× as long for it).
  local tag
  printf -v tag 'v%03d' "$EDIT"
  sed -i -E "s/\"v[0-9]+\"/\"$tag\"/" "$file"
}
for (( r = 0; r < ROUNDS; r++ )); do
  if (( r % 2 == 0 )); then order=(gen-routes hand-routes); else order=(hand-routes gen-routes); fi
  for crate in "${order[@]}"; do
    "${CARGO[@]}" clean -q "${PROFILE_ARGS[@]}" -p "$crate"
    s="$(build_secs "$crate")"
    if [[ "$crate" == gen-routes ]]; then CLEAN_GEN+=("$s"); else CLEAN_HAND+=("$s"); fi
    echo "  round $r clean       $crate $(fmt "$s") s"
  done
  for crate in "${order[@]}"; do
    edit_handler "$crate"
    s="$(build_secs "$crate")"
    if [[ "$crate" == gen-routes ]]; then INC_GEN+=("$s"); else INC_HAND+=("$s"); fi
    echo "  round $r incremental $crate $(fmt "$s") s"
  done
done

cg="$(median "${CLEAN_GEN[@]}")"; ch="$(median "${CLEAN_HAND[@]}")"
ig="$(median "${INC_GEN[@]}")"; ih="$(median "${INC_HAND[@]}")"
rc="$(echo "$cg / $ch" | bc -l)"; ri="$(echo "$ig / $ih" | bc -l)"
verdict() { if (( $(echo "$1 <= $2" | bc -l) )); then echo met; else echo "NOT met"; fi; }
echo
echo "## medians ($PROFILE profile, $N routes)"
printf '  %-34s %8s s (gen) %8s s (hand)  ratio %.3fx (target <= 1.3: %s)\n' \
  "clean build of the crate" "$(fmt "$cg")" "$(fmt "$ch")" "$rc" "$(verdict "$rc" 1.3)"
printf '  %-34s %8s s (gen) %8s s (hand)  ratio %.3fx (target <= 1.1: %s)\n' \
  "incremental, one handler edited" "$(fmt "$ig")" "$(fmt "$ih")" "$ri" "$(verdict "$ri" 1.1)"

if (( ! SMOKE )); then
  MACRO_TARGET="$(mktemp -d /tmp/route-macros-target.XXXXXX)"
  start="$(now)"
  (cd "$ROOT" && CARGO_TARGET_DIR="$MACRO_TARGET" cargo build -q "${PROFILE_ARGS[@]}" -p route-macros)
  end="$(now)"
  rm -rf "$MACRO_TARGET"
  printf '  %-34s %8s s (proc-macro2, quote, syn included)\n' \
    "route-macros clean build" "$(fmt "$(echo "$end - $start" | bc -l)")"
fi

if (( INSTRUCTIONS )); then
  if ! command -v valgrind >/dev/null; then
    echo "instructions: valgrind is not installed (apt-get install -y valgrind)" >&2
    exit 1
  fi
  declare -A IR
  for crate in gen-routes hand-routes; do
    # The rustc invocation cargo makes for the crate's incremental rebuild, env vars included.
    edit_handler "$crate"
    cmd="$("${CARGO[@]}" build -v "${PROFILE_ARGS[@]}" -p "$crate" 2>&1 \
      | sed -n "s/^ *Running \`\(.*--crate-name ${crate//-/_} .*\)\`$/\1/p" | tail -1)"
    if [[ -z "$cmd" ]]; then echo "instructions: no rustc command for $crate" >&2; exit 1; fi
    edit_handler "$crate"
    IR[$crate]="$(eval "valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null $cmd" \
      2>&1 >/dev/null | sed -n 's/.*I *refs: *//p' | tr -d ,)"
  done
  printf '  %-34s %8.1f M (gen) %8.1f M (hand)  ratio %.3fx\n' \
    "incremental, rustc instructions" "$(echo "${IR[gen-routes]} / 1000000" | bc -l)" \
    "$(echo "${IR[hand-routes]} / 1000000" | bc -l)" "$(echo "${IR[gen-routes]} / ${IR[hand-routes]}" | bc -l)"
fi
