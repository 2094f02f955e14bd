#!/usr/bin/env bash
# `npm run bench`: Archway beside direct-to-upstream, the bare Node ceiling and Portkey, in one run of the shared
# side-by-side benchmark (../shared/bench/peer-bench.sh). Extra knobs pass through (ROUNDS, PHASES, MOCK_CHUNK_DELAY_MS…);
# ARCHWAY_BENCH_CONFIG picks the gateway's config: bench/archway.bench.yaml (the default: every feature on),
# bench/default.bench.yaml (the default pipeline), bench/security.bench.yaml or bench/cost.bench.yaml (one issue's features).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/../shared/bench}
[ -f "$BENCH/peer-bench.sh" ] || { echo "bench: $BENCH/peer-bench.sh not found (set BENCH_DIR)" >&2; exit 1; }
NODE_BIN="$ROOT/node_modules/node/bin/node"
[ -x "$NODE_BIN" ] || { echo "bench: run npm ci first (no project Node at $NODE_BIN)" >&2; exit 1; }

PORT=${ARCHWAY_BENCH_PORT:-18300}
DATA=$(mktemp -d /tmp/archway-bench.XXXXXX)
trap 'rm -rf "$DATA"' EXIT
KEY="sk-archway-bench-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"

export ARCHWAY_BENCH_PORT=$PORT
export CEILING_NODE="$NODE_BIN"
export TARGET_NAME=archway
export TARGET_URL="http://127.0.0.1:$PORT/v1/chat/completions"
export TARGET_READY_URL="http://127.0.0.1:$PORT/livez"
export TARGET_HEADERS="Authorization: Bearer $KEY|x-archway-cache: ${ARCHWAY_BENCH_CACHE:-refresh}"
START="cd '$ROOT' && ARCHWAY_ADMIN_KEY='$KEY' ARCHWAY_DATA_DIR='$DATA' MALLOC_ARENA_MAX=2 exec '$NODE_BIN' --max-semi-space-size=8 --heap-growing-percent=50 bin/archway.js start --config ${ARCHWAY_BENCH_CONFIG:-bench/archway.bench.yaml}"

# A first start fills Node's compile cache (bin/archway.js); the measured gateway starts from it, as any restart does.
MOCK_BASE_URL=${MOCK_BASE_URL:-http://127.0.0.1:18080/v1} bash -c "$START" >/dev/null 2>&1 &
PRIMER=$!
for _ in $(seq 100); do curl -sf -o /dev/null "$TARGET_READY_URL" && break; sleep 0.1; done
kill -TERM $PRIMER 2>/dev/null || true
wait $PRIMER 2>/dev/null || true

export TARGET_CMD="$START"
exec bash "$BENCH/peer-bench.sh"
