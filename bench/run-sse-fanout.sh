#!/usr/bin/env bash
# SSE fan-out of one edge: CLIENTS session streams on the demo jar (bench/start-edge-demo.sh), events sent round-robin
# over the sessions straight to conversation.events, delivery latency and the edge's RSS (SseFanOutBenchmark).
# Usage (from anywhere): bench/run-sse-fanout.sh     needs: curl, openssl, Redis, PostgreSQL, the built jars
#   JAR=edge-api/target/soma-streams.jar BENCH_JAR=bench/target/benchmarks.jar CLIENTS=1000 RATE=1000 SECONDS_TO_RUN=20
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_JAR=${BENCH_JAR:-bench/target/benchmarks.jar}
WORK=${WORK:-bench/target/sse-fanout}
# every stream is one tenant's: the edge's admission limits (20 a tenant, 500 in all by default) would refuse most
export SOMA_SSE_MAX_STREAMS_PER_TENANT=${CLIENTS:-1000} SOMA_SSE_MAX_STREAMS=${CLIENTS:-1000}
source bench/start-edge-demo.sh
ulimit -n 65536 2>/dev/null || true
java -Xmx512m -Dsoma.data.dir="${SOMA_DATA_DIR:-../shared/data}" -Dbench.edge="$BASE" -Dbench.token="$TOKEN" \
  -Dbench.edge.pid=$EDGE_PID -Dbench.kafka="$KAFKA_BOOTSTRAP" -Dbench.registry="$REGISTRY_URL" -Dbench.clients="${CLIENTS:-1000}" -Dbench.rate="${RATE:-1000}" \
  -Dbench.seconds="${SECONDS_TO_RUN:-20}" -cp "$BENCH_JAR" io.soma.streams.bench.SseFanOutBenchmark
