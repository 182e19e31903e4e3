# Sourced by the edge load scripts: starts the demo jar on a fresh data dir with the replay off (only the load under
# test runs), waits until it is ready and issues an admin token. Sets BASE, EDGE_PID, TOKEN, WORK; stops the edge on exit.
# The per-tenant rate limit (200/s by default) is raised to 1,000,000/s so the load never meets a 429.
JAR=${JAR:-edge-api/target/soma-streams.jar}
PORT=${PORT:-8080}
WORK=${WORK:-bench/target/edge-load}/run-$(date +%s)
BASE=http://127.0.0.1:$PORT
mkdir -p "$WORK"

API_KEY=$(openssl rand -hex 20)
SOMA_IDENTITY_BOOTSTRAP_API_KEY=$API_KEY SOMA_STACK_DATA_DIR="$WORK" SOMA_REPLAY_ENABLED=false \
  SOMA_EDGE_PORT=$PORT SOMA_RATELIMIT_TENANT_PER_SECOND=1000000 SOMA_RATELIMIT_TENANT_BURST=1000000 \
  java -Xmx1g -Dsoma.registry.jar=devstack-registry/target/soma-schema-registry-runner.jar -jar "$JAR" demo \
  >"$WORK/edge.log" 2>&1 &
EDGE_PID=$!
trap 'kill $EDGE_PID 2>/dev/null; wait $EDGE_PID 2>/dev/null || true' EXIT

for _ in $(seq 1 240); do
  curl -sf "$BASE/health/ready" >/dev/null && break
  kill -0 $EDGE_PID 2>/dev/null || { echo "edge exited, see $WORK/edge.log" >&2; exit 1; }
  sleep 1
done
curl -sf "$BASE/health/ready" >/dev/null || { echo "edge not ready after 240 s, see $WORK/edge.log" >&2; exit 1; }
TOKEN=$(curl -sf -X POST -H "X-Api-Key: $API_KEY" "$BASE/v1/tokens/issue" | sed -E 's/.*"token":"([^"]+)".*/\1/')
