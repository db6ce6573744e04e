#!/usr/bin/env bash
# Skip index cost in the engine alone (see perf/RESULTS.md "Skip index (row signatures)"): ./perf/skip-index/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f server/target/labelflight-server.jar ] || [ ! -d perf/target/classes ]; then
  mvn -B -o -q -DskipTests package
fi
# perf/target/classes: MemoryContract (peak RSS next to its bound, shared by the perf harnesses).
exec java -Xmx3g --add-opens=java.base/java.nio=ALL-UNNAMED -cp "server/target/lib/*:perf/target/classes" \
  perf/skip-index/IndexCost.java "$@"
