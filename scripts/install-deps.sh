#!/usr/bin/env bash
# Installs every Debian package sluice's build, tests and benchmarks use; safe to run again.
# --build-only: only what building the sluice binary needs (no tests, peers,
# benchmarks or sanitizer toolchain), e.g. in docker/Dockerfile's build stage.
# Runs as root (no sudo needed) or through sudo.
set -euo pipefail

build_only=0
case "${1:-}" in
  "") ;;
  --build-only) build_only=1 ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

# The compiler, CMake and the libraries sluice links (cmake -DSLUICE_TESTS=OFF),
# SQLite, which sluice loads to read a Fluent Bit tail's offsets database, and
# libsystemd, which it loads for the systemd input.
build_packages=(
  g++ make cmake pkg-config lld
  libboost-dev libsimdjson-dev libyaml-cpp-dev libssl-dev zlib1g-dev
  libpcre2-dev libspdlog-dev libfmt-dev libcli11-dev libluajit2-5.1-dev
  libsnappy-dev libdeflate-dev libnghttp2-dev libzstd-dev librdkafka-dev
  libsqlite3-0 libsystemd0
)
if [ "$build_only" -eq 1 ]; then
  packages=("${build_packages[@]}")
else
  packages=(
    "${build_packages[@]}"
    build-essential git ca-certificates libboost-system-dev
    catch2 clang libclang-rt-14-dev python3 python3-yaml python3-grpcio procps ccache
    nginx-light rsyslog rsyslog-openssl tinyproxy wrk curl nghttp2-client zstd openssl bsdutils
    prometheus kcat systemd-journal-remote
  )
  # Node.js and npm (test peers only): Debian's packages, unless a node with
  # npm is already there (NodeSource's nodejs ships npm and conflicts with Debian's).
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# The prometheus package starts a system Prometheus on :9090 where systemd
# runs; the tests start their own (promtool, and a server on a free port),
# so the system one is stopped and disabled.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
