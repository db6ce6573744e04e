#!/usr/bin/env bash
# Hybrid execution benchmarks (see perf/RESULTS.md): ./perf/hybrid/run.sh interactive [numeric] | outofcore [BUDGET_MIB]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f server/target/labelflight-server.jar ]; then
  mvn -B -o -q -pl server -am package -DskipTests
fi
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -cp "server/target/labelflight-server.jar:server/target/lib/*" \
  perf/hybrid/HybridBench.java "$@"
