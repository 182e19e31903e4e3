#!/usr/bin/env bash
# wrk against a store-backed GET of the edge: GET /v1/training/status/bench, answered from the training app's
# state store. Starts the demo jar (bench/start-edge-demo.sh: fresh data dir, replay off, rate limit raised),
# enables training mode for tenant "bench", then runs wrk (Debian's wrk 4 has no fixed-rate -R):
#   - paced: each connection waits DELAY_MS after every answer (wrk's delay() hook), aiming near 2,000 requests/s;
#   - unpaced: as fast as CONNECTIONS connections go;
#   - the floor of this machine's HTTP path in the same run: unauthenticated GET /health/live, one connection.
# Usage (from anywhere): bench/run-edge-wrk.sh     needs: wrk, curl, openssl, Redis, PostgreSQL, the built jars
#   JAR=edge-api/target/soma-streams.jar DURATION=30s PACED_CONNECTIONS=5 DELAY_MS=2 CONNECTIONS="1 4 16"
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-30s}
PACED_CONNECTIONS=${PACED_CONNECTIONS:-5}
DELAY_MS=${DELAY_MS:-2}
CONNECTIONS=${CONNECTIONS:-"1 4 16"}
WORK=${WORK:-bench/target/edge-wrk}
source bench/start-edge-demo.sh
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
echo "== floor: GET /health/live (no auth, no store), 1 connection, $DURATION"
DELAY_MS=0 wrk -t1 -c1 -d"$DURATION" --latency "$BASE/health/live"
echo "== edge process RSS: $(ps -o rss= -p $EDGE_PID) KiB"
