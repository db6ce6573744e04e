#!/usr/bin/env bash
# Label-model kinds side by side with Snorkel (see kinds.py): builds the engine's test classes, prepares the
# Snorkel venv and prints a Markdown table for perf/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
python="$(engine/conformance/setup-snorkel-venv.sh)"
mvn -B -o -q -pl engine test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/engine/target/bench-classpath.txt"
cp="engine/target/classes:engine/target/test-classes:$(cat engine/target/bench-classpath.txt)"
"$python" perf/label-models/kinds.py "$cp"
