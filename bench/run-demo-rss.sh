#!/usr/bin/env bash
# RSS of one process running the whole demo (embedded broker, every Streams app, the edge, the replayer) under the
# demo's own load, and its start-to-ready time. Starts the built jar (bench/start-edge-demo.sh with REPLAY=true: fresh
# data dir under bench/target, free edge, broker and registry ports), times launch -> /health/ready 200, then samples
# VmRSS of the java process and, separately, of the schema-registry child JVM every second for SECONDS_TO_RUN while
# the replay runs, and prints the max and the last sample of each.
# Usage (from anywhere): bench/run-demo-rss.sh     needs: curl, openssl, python3, Redis, PostgreSQL, the built jars
#   JAR=edge-api/target/soma-streams.jar SECONDS_TO_RUN=120
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${SECONDS_TO_RUN:-120}
WORK=${WORK:-bench/target/demo-rss}
REPLAY=true KAFKA_PORT=0 REGISTRY_PORT=0
echo "start $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
source bench/start-edge-demo.sh
echo "ready after $READY_MS ms (launch -> GET /health/ready 200), load $(cut -d' ' -f1-3 /proc/loadavg)"
REGISTRY_PID=$(pgrep -P "$EDGE_PID" -f soma-schema-registry-runner.jar | head -1)

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
max_edge=0; max_registry=0; max_sum=0
for i in $(seq 1 "$SECONDS_TO_RUN"); do
  kill -0 "$EDGE_PID" 2>/dev/null || { echo "edge exited, see $WORK/edge.log" >&2; exit 1; }
  edge=$(rss "$EDGE_PID"); registry=$(rss "$REGISTRY_PID")
  (( edge > max_edge )) && max_edge=$edge
  (( registry > max_registry )) && max_registry=$registry
  (( edge + registry > max_sum )) && max_sum=$((edge + registry))
  echo "$i s: java $edge KiB, registry $registry KiB" >>"$WORK/rss.log"
  sleep 1
done
echo "replay: $(grep -o 'replay[^"]*events[^"]*' "$WORK/edge.log" | tail -1)"
echo "after $SECONDS_TO_RUN s of replay ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  java process (broker, apps, edge): max $max_edge KiB, last $edge KiB"
echo "  registry child JVM:                max $max_registry KiB, last $registry KiB"
echo "  both:                              max $max_sum KiB"
echo "samples: $WORK/rss.log, log: $WORK/edge.log"
