-- fluentbit_aggregate.lua: the trace aggregation a Fluent Bit user writes
-- for Fluent Bit's own lua filter (only `call`, no sluice extensions), run
-- unchanged by the `lua_fb` benchmark pipeline: every line of a request
-- (traceId) is held; the line whose message says "request completed"
-- releases one record with the request's fields (the last line's values),
-- its messages joined by "\n", and the time of its first line. Copied into a
-- fresh table, as such scripts do, rather than reusing the first line's.

local open = {}

function aggregate(tag, timestamp, record)
  local id = record["traceId"]
  if id == nil then
    return 0, timestamp, record
  end
  local request = open[id]
  if request == nil then
    request = {first = timestamp, messages = {}, fields = {}}
    open[id] = request
  end
  for key, value in pairs(record) do
    if key == "message" then
      table.insert(request.messages, tostring(value))
    else
      request.fields[key] = value
    end
  end
  if record["message"] ~= "request completed" then
    return -1, timestamp, record
  end
  open[id] = nil
  local out = {}
  for key, value in pairs(request.fields) do
    out[key] = value
  end
  out["message"] = table.concat(request.messages, "\n")
  return 1, request.first, out
end
