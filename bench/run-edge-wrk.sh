#!/usr/bin/env bash
# wrk against a store-backed GET of the edge: GET /v1/training/status/bench, answered from the training app's
# state store. Starts the demo jar on a fresh data dir (replay off, so only the HTTP load runs), issues a token,
# enables training mode for tenant "bench", then runs wrk (Debian's wrk 4 has no fixed-rate -R):
#   - paced: each connection waits DELAY_MS after every answer (wrk's delay() hook), aiming near 2,000 requests/s;
#   - unpaced: as fast as CONNECTIONS connections go.
# The per-tenant rate limit (200/s by default) is raised to 1,000,000/s so it never answers 429 here.
# Usage (from anywhere): bench/run-edge-wrk.sh     needs: wrk, curl, openssl, Redis, PostgreSQL, the built jars
#   JAR=edge-api/target/soma-streams.jar DURATION=30s PACED_CONNECTIONS=5 DELAY_MS=2 CONNECTIONS="1 4 16"
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-edge-api/target/soma-streams.jar}
DURATION=${DURATION:-30s}
PACED_CONNECTIONS=${PACED_CONNECTIONS:-5}
DELAY_MS=${DELAY_MS:-2}
CONNECTIONS=${CONNECTIONS:-"1 4 16"}
PORT=${PORT:-8080}
WORK=${WORK:-bench/target/edge-wrk}/run-$(date +%s)
BASE=http://127.0.0.1:$PORT
mkdir -p "$WORK"

API_KEY=$(openssl rand -hex 20)
SOMA_IDENTITY_BOOTSTRAP_API_KEY=$API_KEY SOMA_STACK_DATA_DIR="$WORK" SOMA_REPLAY_ENABLED=false \
  SOMA_EDGE_PORT=$PORT SOMA_RATELIMIT_TENANT_PER_SECOND=1000000 SOMA_RATELIMIT_TENANT_BURST=1000000 \
  java -Xmx1g -Dsoma.registry.jar=devstack-registry/target/soma-schema-registry-runner.jar -jar "$JAR" demo \
  >"$WORK/edge.log" 2>&1 &
EDGE_PID=$!
trap 'kill $EDGE_PID 2>/dev/null; wait $EDGE_PID 2>/dev/null' EXIT

for _ in $(seq 1 240); do
  curl -sf "$BASE/health/ready" >/dev/null && break
  kill -0 $EDGE_PID 2>/dev/null || { echo "edge exited, see $WORK/edge.log" >&2; exit 1; }
  sleep 1
done
curl -sf "$BASE/health/ready" >/dev/null || { echo "edge not ready after 240 s, see $WORK/edge.log" >&2; exit 1; }

TOKEN=$(curl -sf -X POST -H "X-Api-Key: $API_KEY" "$BASE/v1/tokens/issue" | sed -E 's/.*"token":"([^"]+)".*/\1/')
curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
  -d '{"tenant":"bench","reason":"bench"}' "$BASE/v1/training/enable" >/dev/null
echo "GET /v1/training/status/bench answers: $(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/v1/training/status/bench")"

cat >"$WORK/auth.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local pause = tonumber(os.getenv("DELAY_MS") or "0")
function delay() return pause end
LUA
URL=$BASE/v1/training/status/bench
echo "== warm-up 10 s"
TOKEN=$TOKEN DELAY_MS=0 wrk -t1 -c4 -d10s -s "$WORK/auth.lua" "$URL" >/dev/null
echo "== paced: $PACED_CONNECTIONS connections, ${DELAY_MS} ms pause after each answer, $DURATION"
TOKEN=$TOKEN DELAY_MS=$DELAY_MS wrk -t1 -c"$PACED_CONNECTIONS" -d"$DURATION" --latency -s "$WORK/auth.lua" "$URL"
for c in $CONNECTIONS; do
  echo "== unpaced: $c connections, $DURATION"
  TOKEN=$TOKEN DELAY_MS=0 wrk -t1 -c"$c" -d"$DURATION" --latency -s "$WORK/auth.lua" "$URL"
done
echo "== edge process RSS: $(ps -o rss= -p $EDGE_PID) KiB"
