#!/usr/bin/env bash
# A store-backed GET of the edge at fixed rates (open loop, io.soma.streams.bench.EdgeGetOpenLoop): the same request
# as bench/run-edge-wrk.sh (GET /v1/training/status/bench, answered from the training app's state store), but each
# request is due at its slot and timed from it, so a stall is charged to every request it delays. Starts the demo jar
# (bench/start-edge-demo.sh: fresh data dir, replay off, rate limit raised) and enables training mode for "bench".
# Usage (from anywhere): bench/run-edge-open-loop.sh     needs: curl, openssl, Redis, PostgreSQL, the built jars
#   JAR=edge-api/target/soma-streams.jar BENCH_JAR=bench/target/benchmarks.jar RATES=500,1000,2000 SECONDS_PER_RATE=15
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_JAR=${BENCH_JAR:-bench/target/benchmarks.jar}
WORK=${WORK:-bench/target/edge-open-loop}
source bench/start-edge-demo.sh
curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
  -d '{"tenant":"bench","reason":"bench"}' "$BASE/v1/training/enable" >/dev/null
echo "GET /v1/training/status/bench answers: $(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/v1/training/status/bench")"
TOKEN=$TOKEN java -Xmx256m -Dbench.rates="${RATES:-500,1000,2000}" -Dbench.seconds="${SECONDS_PER_RATE:-15}" \
  -cp "$BENCH_JAR" io.soma.streams.bench.EdgeGetOpenLoop "$BASE/v1/training/status/bench"
echo "== edge process RSS: $(ps -o rss= -p $EDGE_PID) KiB"
