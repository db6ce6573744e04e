#!/usr/bin/env bash
# Python-function LFs side by side (see bench.py): uses the client's venv (clients/python/.venv, made by
# clients/python/bin/test, plus snorkel --no-deps and textblob), the workers' env (python-workers/setup-python-env.sh)
# and the server jar (built if missing). Prints a Markdown section for perf/RESULTS.md. Not part of bin/test.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=clients/python/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import labelflight, snorkel, textblob, cloudpickle, sklearn" >/dev/null 2>&1; then
  "$venv/bin/pip" install -q --disable-pip-version-check -e "clients/python[test]" scikit-learn scipy textblob
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps snorkel==0.10.0
fi
workers_python="$(python-workers/setup-python-env.sh)"
if [ ! -f server/target/labelflight-server.jar ]; then
  mvn -B -o -q -DskipTests package
fi
exec "$venv/bin/python" perf/python-lfs/bench.py --venv "$(dirname "$(dirname "$workers_python")")" "$@"
