#!/usr/bin/env bash
# Many-LF benchmark (issue 10, see bench.py): builds the server jar if missing, uses the Python client's venv
# (clients/python/.venv, made as clients/python/bin/test makes it, with Snorkel's applier but not torch) and
# prints one Markdown section for perf/RESULTS.md. About 10 minutes at the default size; not part of bin/test.
#   perf/many-lfs/run.sh [--rows 1000000] [--lfs 2000] [--peer-lfs 200] [--runs 3] [--snorkel-rows 2000]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f server/target/labelflight-server.jar ] || mvn -B -q -DskipTests package
venv=clients/python/.venv
if ! "$venv/bin/python" -c "import labelflight, scipy, snorkel.labeling" >/dev/null 2>&1; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "clients/python[test]" scikit-learn scipy
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps snorkel==0.10.0
fi
exec "$venv/bin/python" perf/many-lfs/bench.py "$@"
