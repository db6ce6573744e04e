#!/usr/bin/env bash
# Makes the Python environment the python-LF workers run in, from the "python" section of the server
# configuration (conf/labelflight.json, or the file in LABELFLIGHT_CONFIG; LABELFLIGHT_PYTHON_EXECUTABLE and
# LABELFLIGHT_PYTHON_VENV override), and prints its python's path. Idempotent and quick when the venv already
# has every package: it then only checks the imports. Used by bin/test, the tests and the image build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
config="${LABELFLIGHT_CONFIG:-$root/conf/labelflight.json}"
read_conf() {
  /usr/bin/env python3 - "$config" "$1" <<'PY'
import json, sys
section = json.load(open(sys.argv[1])).get("python", {})
value = section.get(sys.argv[2], "")
print(" ".join(value) if isinstance(value, list) else value)
PY
}
python="${LABELFLIGHT_PYTHON_EXECUTABLE:-$(read_conf executable)}"
python="${python:-python3}"
venv="${LABELFLIGHT_PYTHON_VENV:-$(read_conf venv)}"
venv="${venv:-${XDG_CACHE_HOME:-$HOME/.cache}/labelflight/python-workers-venv}"
packages="$(read_conf packages)"
nodeps="$(read_conf noDepsPackages)"
stamp="$venv/.labelflight-packages"
wanted="$packages | $nodeps"

if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv" >&2
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q --disable-pip-version-check $packages >&2
  if [ -n "$nodeps" ]; then
    # Snorkel pins torch, which its LabelingFunction and preprocessors do not need.
    # shellcheck disable=SC2086
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps $nodeps >&2
  fi
  echo "$wanted" > "$stamp"
fi
"$venv/bin/python" -c 'import pyarrow, pandas, numpy, cloudpickle' >&2
echo "$venv/bin/python"
