#!/usr/bin/env bash
# Native memory that must come back (issue 16.2), longer than bin/test runs it: NativeMemoryTest's cycles of
# upload (~86 MB), resident apply and drop against a server process (-Xmx1g, heap pre-touched, budget 512 MiB),
# Arrow's allocator and the budget checked after every cycle, RSS growth from cycle 2 to the last < 64 MiB.
#   perf/memory/cycles.sh [CYCLES]   (default 50; bin/test runs 20). Prints one line per cycle.
set -euo pipefail
cd "$(dirname "$0")/../.."
cycles="${1:-50}"
mvn -B -q -o -pl server -am test -Dtest='NativeMemoryTest#residentCyclesGiveNativeMemoryBack' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dlabelflight.memory.cycles="$cycles" || status=$?
grep '^cycle' server/target/surefire-reports/dev.labelflight.server.NativeMemoryTest-output.txt || true
exit "${status:-0}"
