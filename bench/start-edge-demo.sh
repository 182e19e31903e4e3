# Sourced by the edge scripts: starts the demo jar on a fresh data dir, on a free edge port (PORT) and the broker and
# registry on KAFKA_PORT (9092) and REGISTRY_PORT (8081; 0 = a free one), waits until /health/ready answers 200 (polled every 100 ms) and issues an admin token.
# REPLAY=false (default) keeps the replay off, so only the load under test runs; REPLAY=true is the demo's own load.
# The per-tenant rate limit (200/s by default) is raised to 1,000,000/s so HTTP load never meets a 429.
# EDGE_JAVA_OPTS adds JVM options to the edge (e.g. -XX:StartFlightRecording=filename=edge.jfr to profile it).
# LAYOUT=split runs the broker and registry in a JVM of their own (StandaloneStack, from BENCH_JAR) and the edge with
# the embedded stack off, as production runs it; the default (embedded) is the demo's one process.
# Sets BASE, EDGE_PID, TOKEN, WORK, READY_MS (launch to first 200), KAFKA_BOOTSTRAP and REGISTRY_URL (the stack the
# edge uses); stops the edge (and a split stack) on exit.
JAR=${JAR:-edge-api/target/soma-streams.jar}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
WORK=${WORK:-bench/target/edge-load}/run-$(date +%s)
BASE=http://127.0.0.1:$PORT
mkdir -p "$WORK"

API_KEY=$(openssl rand -hex 20)
# a fresh data dir is a fresh key wrap secret: the run's Redis keys get a prefix of their own, removed on exit, so
# a run never meets the sealed signing keys of an earlier one (the edge would refuse to start on them)
REDIS_PREFIX=soma-bench-$(basename "$WORK"):
EDGE_PID=
STACK_PID=
cleanup() {
  [ -z "$EDGE_PID" ] || { kill "$EDGE_PID" 2>/dev/null || true; wait "$EDGE_PID" 2>/dev/null || true; }
  [ -z "$STACK_PID" ] || { kill "$STACK_PID" 2>/dev/null || true; wait "$STACK_PID" 2>/dev/null || true; }
  redis-cli -h 127.0.0.1 --scan --pattern "$REDIS_PREFIX*" | xargs -r redis-cli -h 127.0.0.1 del >/dev/null || true
}
trap cleanup EXIT

STACK_ENV=()
# embedded: the ports asked for (with REGISTRY_PORT=0 the registry's is not known here)
KAFKA_BOOTSTRAP=127.0.0.1:${KAFKA_PORT:-9092}
REGISTRY_URL=http://127.0.0.1:${REGISTRY_PORT:-8081}/apis/ccompat/v7
if [ "${LAYOUT:-embedded}" = split ]; then
  java -Xmx512m -Dsoma.registry.jar=devstack-registry/target/soma-schema-registry-runner.jar \
    -cp "${BENCH_JAR:-bench/target/benchmarks.jar}" io.soma.streams.bench.StandaloneStack "$WORK/stack" 0 0 \
    >"$WORK/stack.log" 2>&1 &
  STACK_PID=$!
  STACK_START=$(date +%s)
  until grep -q '^stack ready' "$WORK/stack.log"; do
    kill -0 "$STACK_PID" 2>/dev/null || { echo "stack exited, see $WORK/stack.log" >&2; exit 1; }
    (( $(date +%s) - STACK_START < 120 )) || { echo "stack not ready after 120 s, see $WORK/stack.log" >&2; exit 1; }
    sleep 0.2
  done
  # "stack ready: <bootstrap> <registry url>", on the free ports the stack bound
  read -r _ _ KAFKA_BOOTSTRAP REGISTRY_URL < <(grep '^stack ready' "$WORK/stack.log")
  # off the embedded stack the edge needs the secret its peers present (one instance here: any value)
  STACK_ENV=(SOMA_STACK_EMBEDDED=false SOMA_EDGE_PEER_SECRET="$(openssl rand -hex 32)"
    SOMA_KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP" SOMA_SCHEMA_REGISTRY_URL="$REGISTRY_URL")
fi
START_NS=$(date +%s%N)
env ${STACK_ENV[@]+"${STACK_ENV[@]}"} SOMA_REDIS_KEY_PREFIX="$REDIS_PREFIX" \
  SOMA_IDENTITY_BOOTSTRAP_API_KEY="$API_KEY" SOMA_STACK_DATA_DIR="$WORK" SOMA_REPLAY_ENABLED="${REPLAY:-false}" \
  SOMA_EDGE_PORT="$PORT" SOMA_STACK_KAFKA_PORT="${KAFKA_PORT:-9092}" SOMA_STACK_REGISTRY_PORT="${REGISTRY_PORT:-8081}" \
  SOMA_RATELIMIT_TENANT_PER_SECOND=1000000 SOMA_RATELIMIT_TENANT_BURST=1000000 \
  java -Xmx1g ${EDGE_JAVA_OPTS:-} -Dsoma.registry.jar=devstack-registry/target/soma-schema-registry-runner.jar -jar "$JAR" demo \
  >"$WORK/edge.log" 2>&1 &
EDGE_PID=$!

until curl -sf "$BASE/health/ready" >/dev/null; do
  kill -0 $EDGE_PID 2>/dev/null || { echo "edge exited, see $WORK/edge.log" >&2; exit 1; }
  (( $(date +%s%N) - START_NS < 240000000000 )) || { echo "edge not ready after 240 s, see $WORK/edge.log" >&2; exit 1; }
  sleep 0.1
done
READY_MS=$(( ($(date +%s%N) - START_NS) / 1000000 ))
TOKEN=$(curl -sf -X POST -H "X-Api-Key: $API_KEY" "$BASE/v1/tokens/issue" | sed -E 's/.*"token":"([^"]+)".*/\1/')
