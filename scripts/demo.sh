#!/usr/bin/env bash
# Quick start: installs what is missing, builds sluice, and runs the demo
# pipeline on a live generated web-service log until Ctrl-C. sluice joins each
# request's lines (one traceId) into one record with the Lua trace aggregator
# (lua/trace_aggregate.lua) and prints it; at Ctrl-C it stops cleanly and this
# script says how many lines became how many records.
#
# Environment (all optional):
#   SLUICE_DEMO_ES_URL    http[s]://[user:password@]host[:port] of Elasticsearch or
#                         OpenSearch: each request is also indexed there (sluice-demo-*)
#   SLUICE_DEMO_LOKI_URL  the same for Grafana Loki (job="sluice-demo")
#   SLUICE_DEMO_LOG       the generated log (default /tmp/sluice-demo/app.log)
#   SLUICE_DEMO_RATE      lines the application writes per second (default 5)
#   SLUICE_BINARY         a sluice binary to run: skips installing and building
set -euo pipefail

cd "$(dirname "$0")/.."

sluice="${SLUICE_BINARY:-}"
if [ -z "$sluice" ]; then
  scripts/install-deps.sh
  echo "demo: building build/sluice ..." >&2
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j2 --target sluice >&2  # stdout is for the records
  sluice=build/sluice
fi

# Sets PREFIX_HOST, _PORT, _TLS, _USER, _PASSWORD (read by conf/demo-es.yaml
# and conf/demo-loki.yaml) from a URL; fails on what it can't read.
export_url() {
  local prefix=$1 var=$2 url=$3 default_port=$4 rest userinfo="" host port tls=off
  case "$url" in
    https://*) rest=${url#https://} tls=on default_port=443 ;;
    http://*) rest=${url#http://} ;;
    *) echo "demo: $var must start with http:// or https://, got '$url'" >&2; return 1 ;;
  esac
  rest=${rest%/}
  if [[ $rest == */* ]]; then
    echo "demo: $var: a path after the host isn't supported, got '$url'" >&2
    return 1
  fi
  if [[ $rest == *@* ]]; then
    userinfo=${rest%@*}
    rest=${rest##*@}
  fi
  host=${rest%%:*}
  port=$default_port
  [[ $rest == *:* ]] && port=${rest#*:}
  if [ -z "$host" ] || ! [[ $port =~ ^[0-9]+$ ]]; then
    echo "demo: $var: expected http[s]://[user:password@]host[:port], got '$url'" >&2
    return 1
  fi
  export "${prefix}_HOST=$host" "${prefix}_PORT=$port" "${prefix}_TLS=$tls"
  if [ -n "$userinfo" ]; then
    export "${prefix}_USER=${userinfo%%:*}"
    [[ $userinfo == *:* ]] && export "${prefix}_PASSWORD=${userinfo#*:}"
  fi
  return 0
}

config=conf/demo.yaml
targets=""
if [ -n "${SLUICE_DEMO_ES_URL:-}" ]; then
  export_url SLUICE_DEMO_ES SLUICE_DEMO_ES_URL "$SLUICE_DEMO_ES_URL" 9200
  config=conf/demo-es.yaml
  targets="Elasticsearch at $SLUICE_DEMO_ES_HOST:$SLUICE_DEMO_ES_PORT"
fi
if [ -n "${SLUICE_DEMO_LOKI_URL:-}" ]; then
  export_url SLUICE_DEMO_LOKI SLUICE_DEMO_LOKI_URL "$SLUICE_DEMO_LOKI_URL" 3100
  if [ "$config" = conf/demo-es.yaml ]; then config=conf/demo-es-loki.yaml; else config=conf/demo-loki.yaml; fi
  targets="${targets:+$targets and }Loki at $SLUICE_DEMO_LOKI_HOST:$SLUICE_DEMO_LOKI_PORT"
fi

# conf/demo*.yaml read the same variable, with the same default.
export SLUICE_DEMO_LOG="${SLUICE_DEMO_LOG:-/tmp/sluice-demo/app.log}"
state_dir=$(dirname "$SLUICE_DEMO_LOG")
mkdir -p "$state_dir"
sluice_log="$state_dir/sluice.log"

# The application: a Go-style web server's JSON request log, 4 requests in
# flight, each 2 to 6 lines sharing a traceId. A background job of a script
# ignores Ctrl-C, so it is stopped here when the script exits.
python3 bench/gen_traces.py --follow --rate "${SLUICE_DEMO_RATE:-5}" "$SLUICE_DEMO_LOG" &
generator=$!
trap 'kill "$generator" 2>/dev/null || true; wait "$generator" 2>/dev/null || true' EXIT

echo "demo: following $SLUICE_DEMO_LOG with $config: one JSON record per request below${targets:+, also sent to $targets}." >&2
echo "demo: Ctrl-C stops it." >&2
# Ctrl-C reaches sluice (it stops cleanly: open requests come out marked
# incomplete, and it exits 0) and this shell, which then sums up. sluice's
# log goes to the terminal and to $sluice_log; the copy ignores Ctrl-C so it
# outlives sluice's last lines.
trap ':' INT
status=0
# The braces make this shell, not sluice's, start the copy, so $! is the copy.
{ "$sluice" -c "$config" || status=$?; } 2> >(trap '' INT; tee "$sluice_log" >&2)
wait $! 2>/dev/null || true  # the copy of the log, to its end

# The summary sluice logged at exit: "input tail.0: N records read",
# "output NAME: N records delivered, ...".
lines=$(sed -n 's/.*input tail\.0: \([0-9]*\) records read.*/\1/p' "$sluice_log" | tail -1)
records=$(sed -n 's/.*output stdout\.0: \([0-9]*\) records delivered.*/\1/p' "$sluice_log" | tail -1)
if [ -n "$lines" ] && [ -n "$records" ]; then
  echo "demo: $lines log lines read, joined into $records request records (one per traceId; requests still open at the stop are marked \"aggregate_incomplete\": true)." >&2
  sed -n 's/.*output \(es\|loki\)\.[0-9]*: \([0-9]*\) records delivered.*/demo: \1: \2 records delivered/p' "$sluice_log" >&2
fi
echo "demo: sluice exited with status $status; its log is in $sluice_log, its offsets in $SLUICE_DEMO_LOG.db (run again to resume)." >&2
exit "$status"
