#!/usr/bin/env bash
# Configures and builds sluice into build/ (the binary lands at build/sluice).
# Usage: scripts/build.sh [extra cmake args]; JOBS overrides the parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"${JOBS:-2}"
