#!/usr/bin/env bash
# The peer benchmark's LF sets in the engine alone (EngineProfile.java): per LF, thread CPU time, queue path
# (per-job text copies) and resident path (kept, indexed columns).
#   perf/peers/profile.sh [--rows 200000] [SET...] [--runs 5] [--only LF_NAME]
# Extra JVM options (a JFR recording, say) go in JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=200000
if [ "${1:-}" = "--rows" ]; then rows=$2; shift 2; fi
venv="${LABELFLIGHT_PEERS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/labelflight/peers-venv}"
[ -x "$venv/bin/python" ] || { echo "run perf/peers/run.sh once first (it makes $venv)" >&2; exit 1; }
[ -f server/target/labelflight-server.jar ] || mvn -B -o -q -DskipTests package
dir="${TMPDIR:-/tmp}/lf-peers-profile-$rows"
"$venv/bin/python" perf/peers/bench.py export --rows "$rows" --data "$dir"
exec java -Xmx4g ${JAVA_OPTS:-} --add-opens=java.base/java.nio=ALL-UNNAMED -cp "server/target/lib/*" \
  perf/peers/EngineProfile.java "$dir" "$@"
