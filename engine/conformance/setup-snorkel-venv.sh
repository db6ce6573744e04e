#!/usr/bin/env bash
# Prepares the Python environment the Snorkel conformance test runs in, and prints its python's path.
# Idempotent and quick when everything is already there. Debian's CPU-only python3-torch under the system
# python (a venv with --system-site-packages sees it) avoids pulling gigabytes of CUDA wheels from PyPI.
set -euo pipefail
# Outside the work tree by default, so fresh clones (CI) reuse it.
venv="${LABELFLIGHT_SNORKEL_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/labelflight/snorkel-venv}"
snorkel_version=0.10.0

if ! /usr/bin/python3 -c 'import torch, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "python3-torch is missing and this is not root: run 'apt-get install -y python3-torch'" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq python3-torch python3-venv >&2
fi
if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
fi
if ! "$venv/bin/python" -c "import snorkel, sys; sys.exit(0 if snorkel.__version__ == '$snorkel_version' else 1)" >/dev/null 2>&1; then
  # snorkel's declared dependencies would pull torch from PyPI (with CUDA): install it without them, then
  # the packages it imports that Debian's python lacks. pip then warns that tensorboard and protobuf are
  # missing: snorkel needs them only for its training logger, which the conformance test does not use.
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "snorkel==$snorkel_version" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check numpy==1.26.4 scipy==1.17.1 pandas==2.2.3 \
      scikit-learn==1.9.1 tqdm munkres networkx >&2
fi
"$venv/bin/python" -c 'import snorkel.labeling.model, snorkel.labeling' >&2
echo "$venv/bin/python"
