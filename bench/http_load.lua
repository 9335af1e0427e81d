-- wrk script for the http input benchmark: every request POSTs one NDJSON
-- batch of BENCH_RECORDS records (default 1,000) of about 200 bytes each, in
-- the shape of bench/gen_traces.py's web server log, with
-- Content-Type: application/x-ndjson. Records vary within a batch; wrk sends
-- the same batch every time (the decoder's cost doesn't depend on repeats).
--
--   build/sluice -c bench/pipelines/http_ndjson_null.yaml &        # BENCH_HTTP_PORT, default 9880
--   wrk -t2 -c100 -d30s -s bench/http_load.lua http://127.0.0.1:9880/bench
--   kill -TERM %1    # sluice logs "output null.0: N records delivered"
--
-- Records/s = wrk's Requests/sec × BENCH_RECORDS. CPU-seconds of sluice:
-- utime + stime from /proc/PID/stat before and after the wrk run (or
-- /usr/bin/time -v around sluice); peak RSS: VmHWM in /proc/PID/status.
-- Any "Non-2xx or 3xx responses" line from wrk means refused batches (503
-- when the pipeline is full); they are not records delivered.

local records = tonumber(os.getenv("BENCH_RECORDS") or "1000")
local levels = { "info", "info", "info", "debug", "warn", "error" }
local methods = { "GET", "GET", "POST", "PUT", "DELETE" }
local paths = { "/api/v1/orders", "/api/v1/users/me", "/api/v1/cart/items", "/healthz", "/api/v1/search" }
local messages = { "request started", "cache lookup", "db query finished", "request completed" }

local function record(i)
  local trace = string.format("%016x%016x", (i * 2654435761) % 4294967296, (i * 40503) % 4294967296)
  return string.format(
    '{"ts":"2026-11-21T10:%02d:%02d.%03dZ","level":"%s","message":"%s","traceId":"%s",' ..
      '"method":"%s","path":"%s","status":%d,"latencyMs":%.3f,"bytes":%d,"host":"web-%d"}',
    math.floor(i / 60000) % 60, math.floor(i / 1000) % 60, i % 1000, levels[i % #levels + 1], messages[i % #messages + 1], trace,
    methods[i % #methods + 1], paths[i % #paths + 1], (i % 17 == 0) and 500 or 200, (i % 997) / 7.0,
    (i * 37) % 20000, i % 8)
end

local lines = {}
for i = 1, records do
  lines[i] = record(i)
end
local body = table.concat(lines, "\n") .. "\n"

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-ndjson"

function done(summary, latency, requests)
  local ok = summary.requests - summary.errors.status
  io.write(string.format("records per request: %d (%.0f bytes each)\n", records, #body / records))
  io.write(string.format("records sent (2xx): %d, %.0f records/s\n", ok * records,
    ok * records / (summary.duration / 1e6)))
end
