#!/usr/bin/env bash
# Latency of the memory budget's Hazelcast CP semaphore calls on a 2-member loopback cluster.
# Usage: perf/cluster/semaphore.sh [CALLS]   (needs server/target/labelflight-server.jar and server/target/lib)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f server/target/labelflight-server.jar ] || mvn -B -o -q -pl server -am package -DskipTests
exec java -Dhazelcast.local.localAddress=127.0.0.1 -Dhazelcast.logging.type=none \
  -cp "server/target/labelflight-server.jar:server/target/lib/*" perf/cluster/SemaphoreBench.java "$@"
