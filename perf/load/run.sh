#!/usr/bin/env bash
# Load and fault runs (issues 9 and 16; see load.py and perf/RESULTS.md):
#   perf/load/run.sh [--clients 32] [--ops 12 | --duration 600] [--nodes 3 --kill-every 60] [--heap-mib 512] [--budget-mib 448]
# Concurrent Flight clients on loopback, mixed uploads and applies, bounded in count (--ops per client) or time
# (--duration); optionally a 3-node cluster with a node killed every minute. Fails on any failed call, a job not
# SUCCEEDED, a server over the memory contract, or allocators/budgets not back at baseline. Not part of bin/test.
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
