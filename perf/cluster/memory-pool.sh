#!/usr/bin/env bash
# Latency of the cluster memory pool's reservation calls (IMap entry processors) on a 2-member loopback cluster.
# Usage: perf/cluster/memory-pool.sh [CALLS]   (needs server/target/labelflight-server.jar and server/target/lib)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f server/target/labelflight-server.jar ] || mvn -B -o -q -pl server -am package -DskipTests
exec java -Dhazelcast.local.localAddress=127.0.0.1 -Dhazelcast.logging.type=none \
  -cp "server/target/labelflight-server.jar:server/target/lib/*" perf/cluster/MemoryPoolBench.java "$@"
