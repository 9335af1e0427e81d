#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds with
# warnings as errors (g++), runs every test under ctest (the container
# image's too, with podman, where it can be set up; the ten-minute soak
# in the background during what follows), then builds again
# with clang, AddressSanitizer + UndefinedBehaviorSanitizer, runs the unit
# tests under them, and runs each fuzz target of that build briefly (libFuzzer).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-2}"
FUZZ_SECONDS="${FUZZ_SECONDS:-15}"

scripts/install-deps.sh
# The npm peers (protocol decoders and servers) the end-to-end tests talk to;
# installed again whenever the lock file changed since the last install. They
# must run on Debian 12's Node 18 (tests/peers/README.md); npm's warnings that
# a package's `engines` asks for a newer Node are advisory and not shown.
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "test.sh: the test peers need Node.js 18 or later (Debian 12's); $(command -v node) is $(node --version)" >&2
  exit 1
fi
if ! cmp -s tests/peers/package-lock.json tests/peers/node_modules/.sluice-installed-lock 2>/dev/null; then
  npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error
  cp tests/peers/package-lock.json tests/peers/node_modules/.sluice-installed-lock
fi
# Newer Node has two things Debian 12's Node 18 lacks and a peer could come to
# need unnoticed: require() of an ES module (20.19) and the global `crypto`
# (19). Both are switched off where this node has the switch, so such a peer
# fails on every machine, not only on a fresh Debian 12.
for flag in --no-experimental-require-module --no-experimental-global-webcrypto; do
  if node "$flag" -e 0 2>/dev/null; then
    export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }$flag"
  fi
done

# Real containers for tests/container/ (label `container`): podman set up as
# ../shared/containers/podman-env.sh does it (installs podman with apt-get,
# makes the Debian 12 base image once, a few minutes the first time). It runs
# here, once, in a shell of its own: it needs root for apt-get and turns
# `set -e` off in whoever sources it. The container test sources it again
# (quick once everything is there) and is skipped, saying why, when podman
# can't be set up. The first set-up (apt-get, debootstrap) is mostly waiting
# on the disk and the network, so it runs beside the build.
mkdir -p build
podman_env="${SLUICE_PODMAN_ENV:-$(dirname "$PWD")/shared/containers/podman-env.sh}"
podman_pid=""
if [ -f "$podman_env" ]; then
  echo "== containers (podman, $podman_env; set up in the background, log in build/podman-setup.log)"
  bash -c 'source "$1"' _ "$podman_env" >build/podman-setup.log 2>&1 &
  podman_pid=$!
  export SLUICE_PODMAN_ENV="$podman_env"
fi

echo "== build (warnings as errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
if [ -n "$podman_pid" ] && ! wait "$podman_pid"; then
  tail -n 20 build/podman-setup.log >&2
  echo "test.sh: podman could not be set up (build/podman-setup.log); the container tests will be skipped" >&2
fi
echo "== tests"
(cd build && ctest --output-on-failure -j"$JOBS" -LE soak) | tee build/ctest.log

# The ten-minute soak (tests/e2e/soak_test.cpp) mostly waits: it runs in the
# background while the sanitizer build below compiles, and is waited for
# before the summary. SLUICE_SOAK_SECONDS shortens it.
echo "== soak (in the background, ${SLUICE_SOAK_SECONDS:-600}s)"
(cd build && ctest --output-on-failure -L soak >ctest-soak.log 2>&1; echo $? >soak.status) &
soak_pid=$!

# One clang build serves both: the library is compiled once with ASan, UBSan
# and libFuzzer's coverage instrumentation, for the unit tests and for the
# fuzz targets.
echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer (clang)"
# Line tables are all the debug information a sanitizer's report uses (file
# and line of each frame); full -g took a third longer to compile.
CXX=clang++ cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only \
  -DSLUICE_WERROR=ON -DSLUICE_FUZZ=ON >/dev/null
targets=$(sed -n 's/^sluice_fuzz_target(\([a-z_0-9]*\) .*/\1/p' tests/fuzz/CMakeLists.txt)
cmake --build build-asan -j"$JOBS" --target sluice_unit_tests $targets
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$JOBS" -L unit) | tee build-asan/ctest.log

echo "== fuzz targets (${FUZZ_SECONDS}s each, $JOBS at a time)"
# One target; its output goes to build-asan/fuzz-T.log and crash files to
# build-asan/ (not the source tree).
fuzz_one() {
  local t="$1" seeds="tests/fuzz/seeds/$1"
  mkdir -p "build-asan/corpus-$t"
  [ -d "$seeds" ] || seeds=""
  build-asan/tests/fuzz/"$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=0 \
    -artifact_prefix=build-asan/ "build-asan/corpus-$t" $seeds >"build-asan/fuzz-$t.log" 2>&1
}
fuzz_pids=()
for t in $targets; do
  # $JOBS fuzzers at a time (the soak's background job is not one of them).
  while [ "$(jobs -rp | grep -cvx "$soak_pid")" -ge "$JOBS" ]; do wait -n || true; done
  (if fuzz_one "$t"; then echo ok; else echo crashed; fi) >"build-asan/fuzz-$t.status" &
  fuzz_pids+=($!)
done
wait "${fuzz_pids[@]}"
for t in $targets; do
  echo "-- $t"
  if [ "$(cat "build-asan/fuzz-$t.status")" != ok ]; then
    # The sanitizer's report whole, with the input that caused it.
    grep -v '^#[0-9]' "build-asan/fuzz-$t.log" | tail -n 80
    echo "fuzz: $t crashed; reproduce with: build-asan/tests/fuzz/$t <the crash file above>" >&2
    exit 1
  fi
  tail -n 1 "build-asan/fuzz-$t.log"
done
echo "fuzz: $(echo $targets | wc -w) targets ran without a crash"

echo "== soak"
wait "$soak_pid" || true
cat build/ctest-soak.log
if [ "$(cat build/soak.status 2>/dev/null)" != 0 ]; then
  echo "soak: failed (build/ctest-soak.log above)" >&2
  exit 1
fi

# One closing line for the three ctest runs (set -e and pipefail stopped us earlier on any failure).
passed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\)/\2 \1/p' build/ctest.log build/ctest-soak.log build-asan/ctest.log |
  awk '{p += $1 - $2; f += $2} END {print p " passed, " f " failed"}')
echo "tests: $passed"
