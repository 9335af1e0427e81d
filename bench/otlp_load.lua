-- wrk script for the opentelemetry input benchmark (bench/bench_otlp.py):
-- every request POSTs the same OTLP ExportLogsServiceRequest, read from
-- BENCH_OTLP_BODY (BENCH_RECORDS log records), with Content-Type
-- BENCH_CONTENT_TYPE (default application/x-protobuf), to /v1/logs.
local path = os.getenv("BENCH_OTLP_BODY")
local records = tonumber(os.getenv("BENCH_RECORDS") or "500")
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = "/v1/logs"
wrk.body = body
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/x-protobuf"

function done(summary, latency, requests)
  local ok = summary.requests - summary.errors.status
  io.write(string.format("records per request: %d (%.0f bytes each)\n", records, #body / records))
  io.write(string.format("records sent (2xx): %d, %.0f records/s\n", ok * records,
    ok * records / (summary.duration / 1e6)))
end
