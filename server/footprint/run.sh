#!/usr/bin/env bash
# Minimum footprint: starts the built server pinned to one core (taskset -c 0) with -Xmx256m, runs the
# demo flow (upload, apply on the task queue, LF analysis, label model) through the Python client, checks
# /metrics, stops the server with SIGTERM (it must exit 0) and reports its peak RSS (VmHWM), which must be within the
# memory contract (heap + budget + 256 MiB).
# Needs server/target/labelflight-server.jar (mvn verify) and clients/python/.venv (clients/python/bin/test).
# Env: FOOTPRINT_ROWS (default 100000), FOOTPRINT_XMX (default 256m), LABELFLIGHT_PYTHON (the venv's python).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
jar="$root/server/target/labelflight-server.jar"
python="${LABELFLIGHT_PYTHON:-$root/clients/python/.venv/bin/python}"
rows="${FOOTPRINT_ROWS:-100000}"
xmx="${FOOTPRINT_XMX:-256m}"
[ -f "$jar" ] || { echo "footprint: $jar missing (run mvn verify first)" >&2; exit 1; }
[ -x "$python" ] || { echo "footprint: $python missing (run clients/python/bin/test first)" >&2; exit 1; }

work="$(mktemp -d)"
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
flight_port="$(free_port)"; http_port="$(free_port)"
# The run acts as the dev user with a token made here.
token="footprint-$(od -An -N16 -tx1 /dev/urandom | tr -d " \n")"
LABELFLIGHT_DATADIR="$work/data" LABELFLIGHT_FLIGHT_PORT="$flight_port" LABELFLIGHT_HTTP_PORT="$http_port" \
LABELFLIGHT_DEMO_ENABLED=false LABELFLIGHT_STORE_CHUNKROWS=16384 LABELFLIGHT_CLUSTER_PORT="$(free_port)" \
LABELFLIGHT_AUTH_DEVUSER_ENABLED=true LABELFLIGHT_AUTH_DEVUSER_TOKEN="$token" \
  taskset -c 0 java -Xmx"$xmx" --add-opens=java.base/java.nio=ALL-UNNAMED -Dhazelcast.local.localAddress=127.0.0.1 \
  -jar "$jar" >"$work/server.log" 2>&1 &
pid=$!
cleanup() { kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "footprint: $*" >&2; tail -40 "$work/server.log" >&2; exit 1; }

for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$http_port/ready" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || fail "server exited at start"
  sleep 0.2
done
curl -sf "http://127.0.0.1:$http_port/ready" >/dev/null || fail "server not ready in 120 s"
start_ms=$(date +%s%3N)
LABELFLIGHT_TOKEN="$token" LABELFLIGHT_NO_PROGRESS=1 "$python" "$root/server/footprint/demo_flow.py" "$flight_port" "$rows" || fail "demo flow failed"
flow_ms=$(( $(date +%s%3N) - start_ms ))
# Scrape first, then grep: under pipefail, `curl | grep -q` fails whenever grep exits before curl finishes.
metrics="$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port/metrics")" || fail "/metrics did not answer"
grep -q '^labelflight_jobs{path="queue",state="SUCCEEDED"} 1' <<<"$metrics" \
  || fail "/metrics does not show the job: $(grep '^labelflight_jobs' <<<"$metrics" || echo 'no labelflight_jobs line')"
hwm_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
read -r budget heap < <(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port/health" | "$python" -c 'import json,sys; h=json.load(sys.stdin); print(h["memory"]["budgetBytes"] >> 20, h["sizing"]["derivation"]["maxHeapBytes"] >> 20)')
contract=$(( heap + budget + 256 ))
[ $(( hwm_kib / 1024 )) -le "$contract" ] || fail "peak RSS $(( hwm_kib / 1024 )) MiB is over the memory contract: heap $heap + budget $budget + 256 = $contract MiB"
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
[ "$status" -eq 0 ] || fail "exit status $status after SIGTERM"
echo "footprint: demo flow ($rows rows) passed on 1 core (taskset -c 0) with -Xmx$xmx in ${flow_ms} ms;" \
  "peak RSS (VmHWM) $(( hwm_kib / 1024 )) MiB, within the memory contract of $contract MiB (heap $heap + derived" \
  "budget $budget + 256); SIGTERM exit 0"
