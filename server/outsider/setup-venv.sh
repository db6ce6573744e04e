#!/usr/bin/env bash
# Prepares the Python environment of the outsider test (OutsiderClientTest): a venv with the stock
# hazelcast-python-client an attacker on the same host would use, and prints its python's path.
# Idempotent and quick when it is already there.
set -euo pipefail
# Outside the work tree by default, so fresh clones (CI) reuse it.
venv="${LABELFLIGHT_OUTSIDER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/labelflight/outsider-venv}"
client_version=5.7.0

if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c "import hazelcast, sys; sys.exit(0 if hazelcast.__version__ == '$client_version' else 1)" \
    >/dev/null 2>&1; then
  "$venv/bin/pip" install -q --disable-pip-version-check "hazelcast-python-client==$client_version" >&2
fi
echo "$venv/bin/python"
