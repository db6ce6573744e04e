#!/usr/bin/env bash
# Hybrid execution benchmarks (see perf/RESULTS.md): ./perf/hybrid/run.sh interactive [numeric] | outofcore [BUDGET_MIB]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f server/target/labelflight-server.jar ] || [ ! -d perf/target/classes ]; then
  mvn -B -o -q -DskipTests package
fi
# perf/target/classes: MemoryContract (peak RSS against the memory contract, shared by the perf harnesses).
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -cp "server/target/labelflight-server.jar:server/target/lib/*:perf/target/classes" \
  perf/hybrid/HybridBench.java "$@"
