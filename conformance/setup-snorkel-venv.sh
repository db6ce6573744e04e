#!/usr/bin/env bash
# Prepares the Python environment the Snorkel conformance test runs in, and prints its python's path.
# Idempotent and quick when everything is already there. Debian's CPU-only python3-torch under the system
# python (a venv with --system-site-packages sees it) avoids pulling gigabytes of CUDA wheels from PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${LABELFLIGHT_SNORKEL_VENV:-$here/.venv}"
snorkel_version=0.10.0

if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "python3-torch is missing and this is not root: run 'apt-get install -y python3-torch'" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq python3-torch python3-venv >&2
fi
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
fi
if ! "$venv/bin/python" -c "import snorkel, sys; sys.exit(0 if snorkel.__version__ == '$snorkel_version' else 1)" >/dev/null 2>&1; then
  # snorkel pins torch and other packages that Debian already provides in other versions: install it
  # without its dependency resolution, then the few pure-Python packages it imports that are missing.
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "snorkel==$snorkel_version" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check numpy==1.26.4 scipy==1.17.1 pandas==2.2.3 \
      scikit-learn==1.9.1 tqdm munkres networkx >&2
fi
"$venv/bin/python" -c 'import snorkel.labeling.model, snorkel.labeling' >&2
echo "$venv/bin/python"
