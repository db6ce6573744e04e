#!/usr/bin/env bash
# Load test (issue 9; see load.py and perf/RESULTS.md): ./perf/load/run.sh [--clients 32] [--ops 12] [--heap-mib 512] ...
# 32 concurrent Flight clients on loopback, mixed uploads and applies, bounded in count (--ops per client) and
# time (--time-limit); fails on any failed call or memory above the configured caps. Not part of bin/test.
# Uses the machine's python3 if it has pyarrow, else makes perf/load/.venv; builds the server jar if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=python3
if ! python3 -c 'import pyarrow.flight' 2>/dev/null; then
  venv=perf/load/.venv
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "pyarrow>=16"
  fi
  python="$venv/bin/python"
fi
if [ ! -f server/target/labelflight-server.jar ]; then
  mvn -B -o -q -DskipTests -pl server -am package
fi
exec "$python" perf/load/load.py "$@"
