#!/usr/bin/env bash
# Unpacks a docker-archive image made by build.sh into a directory and runs the server in it with
# chroot (root only), on loopback ports, until /health answers. Proves the image is complete.
set -euo pipefail
image="$1"
dir="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if mountpoint -q "$dir/rootfs/proc"; then umount "$dir/rootfs/proc"; fi
  # Never delete through a mount that is still there.
  if ! mountpoint -q "$dir/rootfs/proc"; then rm -rf "$dir"; fi
}
trap cleanup EXIT
mkdir -p "$dir/img" "$dir/rootfs"
tar -xf "$image" -C "$dir/img"
python3 - "$dir/img" "$dir/rootfs" <<'PY'
import json, os, sys, tarfile
img, rootfs = sys.argv[1], sys.argv[2]
manifest = json.load(open(os.path.join(img, "manifest.json")))[0]
config = json.load(open(os.path.join(img, manifest["Config"])))
assert config["config"]["Entrypoint"][0] == "/opt/java/bin/java", config
for layer in manifest["Layers"]:
    with tarfile.open(os.path.join(img, layer)) as t:
        t.extractall(rootfs)
open(os.path.join(img, "entrypoint"), "w").write("\0".join(config["config"]["Entrypoint"]))
PY
mkdir -p "$dir/rootfs/proc" "$dir/rootfs/dev"
mount -t proc proc "$dir/rootfs/proc" 2>/dev/null || echo "note: /proc not mounted in the chroot"
chroot "$dir/rootfs" /opt/java/bin/java -version
port_http=$((20000 + RANDOM % 20000)); port_flight=$((port_http + 1))
# The image has no shell: run the entrypoint directly (the working directory is / in a chroot; the
# data directory is absolute and the configuration bundled in the jar).
# shellcheck disable=SC2046
env -i PATH=/opt/java/bin LABELFLIGHT_DATADIR=/data LABELFLIGHT_HTTP_PORT=$port_http LABELFLIGHT_FLIGHT_PORT=$port_flight \
  LABELFLIGHT_DEMO_ENABLED=true LABELFLIGHT_DEMO_ROWS=5000 \
  "$(command -v chroot)" "$dir/rootfs" $(tr '\0' ' ' < "$dir/img/entrypoint") >"$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$port_http/health" >/dev/null; then
    echo "image verified: the server in it answers /health"
    exit 0
  fi
  sleep 0.5
done
cat "$dir/server.log"
echo "image did not start" >&2
exit 1
