#!/usr/bin/env bash
# Quick start: installs what is missing, builds sluice, and runs the demo pipeline
# (conf/demo.yaml) on a live generated application log until Ctrl-C.
set -euo pipefail

cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "demo: building build/sluice ..." >&2
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target sluice >&2  # stdout is for the records

# conf/demo.yaml reads the same variable, with the same default.
export SLUICE_DEMO_LOG="${SLUICE_DEMO_LOG:-/tmp/sluice-demo/app.log}"
mkdir -p "$(dirname "$SLUICE_DEMO_LOG")"

# The application: 5 JSON lines a second appended to the log. A background job
# of a script ignores Ctrl-C, so it is stopped here when the script exits.
python3 bench/gen_traces.py --follow --rate 5 "$SLUICE_DEMO_LOG" &
generator=$!
trap 'kill "$generator" 2>/dev/null || true; wait "$generator" 2>/dev/null || true' EXIT

echo "demo: following $SLUICE_DEMO_LOG; records below are sluice's output. Ctrl-C stops it." >&2
# Ctrl-C reaches sluice (it stops cleanly and exits 0) and this shell, which
# then goes on to report sluice's exit status.
trap ':' INT
status=0
build/sluice -c conf/demo.yaml || status=$?
echo "demo: sluice exited with status $status (its offsets are in $SLUICE_DEMO_LOG.db; run again to resume)" >&2
exit "$status"
