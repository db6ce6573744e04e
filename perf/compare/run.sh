#!/usr/bin/env bash
# Side-by-side benchmark (issue 8, see bench.py): makes perf/compare/.venv (gitignored) with Snorkel (without
# torch), Dask, pyarrow, pandas, Ray and the labelflight client, builds the server jar if missing, prepares
# the Snorkel venv with Debian's torch for the LabelModel part, then runs everything and prints one Markdown
# section. --write puts it into perf/RESULTS.md ("Side by side (issue 8)"). Not part of bin/test.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=perf/compare/.venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import snorkel, dask.dataframe, distributed, pyarrow, psutil, labelflight, pandas, sys; sys.exit(pandas.__version__ != '2.2.3')" >/dev/null 2>&1; then
  # pandas 2.2.3: with pandas 3 (str dtype) Dask's metadata rows hold NA, which DaskLFApplier feeds to the LFs.
  "$venv/bin/pip" install -q --disable-pip-version-check pyarrow 'pandas==2.2.3' numpy 'dask[dataframe]' distributed \
      psutil tqdm scikit-learn
  # Ray is optional: bench.py reports why it did not run if it is missing.
  "$venv/bin/pip" install -q --disable-pip-version-check ray || echo "pip install ray failed" >&2
  # Snorkel pins torch, which its LF appliers do not need (only its LabelModel does: that part runs in the
  # Snorkel venv of engine/conformance, with Debian's CPU torch).
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps snorkel==0.10.0
  "$venv/bin/pip" install -q --disable-pip-version-check -e clients/python
fi
if [ ! -f server/target/labelflight-server.jar ]; then
  mvn -B -o -q -DskipTests package
fi
exec "$venv/bin/python" perf/compare/bench.py all "$@"
