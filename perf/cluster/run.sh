#!/usr/bin/env bash
# Throughput of one large job on 1, 2 and 3 clustered nodes on this machine (see perf/RESULTS.md).
# Usage: perf/cluster/run.sh [ROWS] [RUNS]   (defaults: 1000000 rows, 3 timed runs per cluster size)
# Needs server/target/labelflight-server.jar (mvn verify or package) and clients/python/.venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -f "$root/server/target/labelflight-server.jar" ]; then
  (cd "$root" && mvn -B -o -q -pl server -am package -DskipTests)
fi
python="${LABELFLIGHT_PYTHON:-$root/clients/python/.venv/bin/python}"
exec "$python" "$root/perf/cluster/bench.py" "$root" "${1:-1000000}" "${2:-3}"
