#!/usr/bin/env bash
# Derived-column benchmark (issue 10; see bench.py and perf/RESULTS.md): ./perf/derive/run.sh [--rows 1000000] [--runs 3]
# Makes its own venv (perf/derive/.venv) with the labelflight client, builds the server jar if missing, and
# prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=perf/derive/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e clients/python
fi
if [ ! -f server/target/labelflight-server.jar ]; then
  mvn -B -o -q -DskipTests package
fi
exec "$venv/bin/python" perf/derive/bench.py "$@"
