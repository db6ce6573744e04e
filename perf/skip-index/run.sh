#!/usr/bin/env bash
# Skip index cost in the engine alone (see perf/RESULTS.md "Skip index (row signatures)"): ./perf/skip-index/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -f server/target/labelflight-server.jar ]; then
  mvn -B -o -q -pl server -am package -DskipTests
fi
exec java -Xmx3g --add-opens=java.base/java.nio=ALL-UNNAMED -cp "server/target/lib/*" perf/skip-index/IndexCost.java "$@"
