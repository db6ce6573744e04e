#!/usr/bin/env bash
# Latency of the cluster memory pool's reservation calls (IMap entry processors) on a 2-member loopback cluster.
# Usage: perf/cluster/memory-pool.sh [CALLS]   (needs server/target/labelflight-server.jar and server/target/lib)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f server/target/labelflight-server.jar ] && [ -d perf/target/classes ] || mvn -B -o -q -DskipTests package
# perf/target/classes: MemoryContract (peak RSS next to its bound, shared by the perf harnesses).
exec java -Dhazelcast.local.localAddress=127.0.0.1 -Dhazelcast.logging.type=none \
  -cp "server/target/labelflight-server.jar:server/target/lib/*" perf/cluster/MemoryPoolBench.java "$@"
