#!/usr/bin/env bash
# Peer benchmark (issue 22, see bench.py and perf/RESULTS.md "Peers"): LabelFlight (queue and resident,
# through the server jar and the Python client), Polars, DuckDB and Snorkel on the same generated messages
# and LF sets, L checked equal across engines.
#   perf/peers/run.sh [--rows 200000] [--runs 3] [--snorkel-rows 3000] [--sets spam,support] [--write]
#   perf/peers/run.sh --check      # CI short form (bin/test): 3,000 rows, one run, exit 1 unless every L is equal and the server stays within its memory contract
# Polars and DuckDB come from PyPI into a venv cached outside the work tree (reused by fresh clones, as the
# other scripts' venvs are); Snorkel runs in engine/conformance/setup-snorkel-venv.sh's venv. The labelflight
# client is read from this checkout (PYTHONPATH), never installed into the cached venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${LABELFLIGHT_PEERS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/labelflight/peers-venv}"
pins=(polars==2.1.0 duckdb==2.0.1 pyarrow==26.0.1 pandas==3.1.1 numpy==2.4.6)
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "
import sys, polars, duckdb, pyarrow, pandas, numpy
want = dict(p.split('==') for p in sys.argv[1:])
got = {'polars': polars.__version__, 'duckdb': duckdb.__version__, 'pyarrow': pyarrow.__version__,
       'pandas': pandas.__version__, 'numpy': numpy.__version__}
sys.exit(0 if all(got[k] == v for k, v in want.items()) else 1)" "${pins[@]}" >/dev/null 2>&1; then
  "$venv/bin/pip" install -q --disable-pip-version-check "${pins[@]}"
fi
if [ ! -f server/target/labelflight-server.jar ]; then
  mvn -B -o -q -DskipTests package
fi
exec "$venv/bin/python" perf/peers/bench.py all "$@"
