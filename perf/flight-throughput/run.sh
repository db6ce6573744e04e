#!/usr/bin/env bash
# Flight throughput benchmark (issue 7; see bench.py and perf/RESULTS.md): ./perf/flight-throughput/run.sh [--gib 1] [--runs 3]
# Makes its own venv (perf/flight-throughput/.venv) with the labelflight client, builds the server jar if
# missing, and prints a Markdown table. LABELFLIGHT_STORE_* variables are passed on to the server.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=perf/flight-throughput/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e clients/python
fi
if [ ! -f server/target/labelflight-server.jar ]; then
  mvn -B -o -q -DskipTests package
fi
exec "$venv/bin/python" perf/flight-throughput/bench.py "$@"
