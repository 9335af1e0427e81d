-- trace_aggregate.lua: joins all log lines of one request (one traceId) into
-- one record, for sluice's lua filter and, unchanged, Fluent Bit's.
--
-- Each line's `message` is appended in arrival order; every other field keeps
-- its latest value (so `status` and `latencyMs` come from the last line).
-- When a line's message matches the completion pattern, one record is
-- emitted with the messages joined by "\n" and the time of the request's
-- first line. Intermediate lines are held, not passed on. Records without the
-- key (or with an empty or non-string, non-number key) pass through unchanged,
-- as does a completion line for a request it holds nothing of (a one-line
-- request, or a duplicate completion).
--
-- Memory is bounded: at most max_entries open requests, evicting the least
-- recently active one in O(1) (a hash plus a doubly linked list in recency
-- order), and requests idle for stale_timeout are flushed by the timer
-- (within one timer_interval after) even when no traffic comes. Evicted,
-- stale and shutdown-flushed requests are emitted, never dropped, with
-- aggregate_incomplete = true and aggregate_reason = "evicted" | "stale" |
-- "shutdown".
--
-- sluice:
--   - name: lua
--     script: lua/trace_aggregate.lua
--     call: aggregate                  # each record
--     timer_call: aggregate_timer      # stale requests, every timer_interval
--     flush_call: aggregate_flush      # what is open at shutdown (SIGTERM)
--     param:                           # all optional; the defaults are shown
--       - key traceId
--       - message_key message
--       - completion_pattern request completed   (a Lua pattern)
--       - max_entries 1000
--       - stale_timeout 30s                      (ms, s, m or h; a bare number is seconds)
--
-- Fluent Bit: `call aggregate`. It has no timer or shutdown call, so open
-- requests there leave only by completion or eviction; edit the defaults below
-- to change settings (sluice_params does not exist there).

local params = sluice_params or {}

-- The aggregator's live state is small and bounded (max_entries), and it
-- makes garbage fast (a table per line). Letting the heap reach 4x the live
-- data before the next collection (Lua's default is 2x) costs a few hundred
-- KB and saves about 4% of the filter's CPU.
collectgarbage("setpause", 400)
local clock = sluice_now or os.time  -- sluice_now has sub-second precision

local function duration_seconds(text, default)
  if text == nil then return default end
  local number, unit = string.match(text, "^%s*([%d%.]+)%s*(%a*)%s*$")
  local scale = ({[""] = 1, s = 1, ms = 0.001, m = 60, h = 3600})[unit or ""]
  local value = tonumber(number)
  if value == nil or scale == nil then
    error("trace_aggregate: stale_timeout must be a duration like 30s or 500ms, got '" .. text .. "'", 0)
  end
  return value * scale
end

local KEY = params.key or "traceId"
local MESSAGE_KEY = params.message_key or "message"
local COMPLETION = params.completion_pattern or "request completed"
-- A pattern without magic characters is searched as plain text (much faster).
local COMPLETION_PLAIN = string.find(COMPLETION, "[%^%$%(%)%%%.%[%]%*%+%-%?]") == nil
local MAX_ENTRIES = tonumber(params.max_entries or "1000")
local STALE_TIMEOUT = duration_seconds(params.stale_timeout, 30)
if MAX_ENTRIES == nil or MAX_ENTRIES < 1 then
  error("trace_aggregate: max_entries must be a number of 1 or more, got '" .. tostring(params.max_entries) .. "'", 0)
end

local find, concat, tostring, type, pairs = string.find, table.concat, tostring, type, pairs

-- A request's messages, pre-sized for a typical request (table.new is
-- LuaJIT's, in Fluent Bit's too) so appending its lines doesn't regrow
-- the array part line by line.
local has_table_new, table_new = pcall(require, "table.new")
local function new_messages()
  if has_table_new then return table_new(8, 0) end
  return {}
end

-- Open requests: by key, and in a list from most (head) to least (tail)
-- recently active, so the eviction victim and the stale ones are at the tail.
local entries = {}
local count = 0
local head, tail = nil, nil

-- Idle time without a clock call per line: each line stamps its entry with
-- the number of timer calls so far; tick_started[k] is when the k-th call
-- ran. A line stamped k came before tick_started[k + 1], so an entry is idle
-- for at least now - tick_started[k + 1]: never flushed early, at most one
-- timer_interval late.
local tick = 0
local tick_started = {}
local oldest_tick = 1

local function unlink(e)
  if e.prev then e.prev.next = e.next else head = e.next end
  if e.next then e.next.prev = e.prev else tail = e.prev end
  e.prev, e.next = nil, nil
end

local function push_front(e)
  e.next = head
  if head then head.prev = e else tail = e end
  head = e
end

local function remove(e)
  unlink(e)
  entries[e.key] = nil
  count = count - 1
end

-- The first line's table holds the fields; later lines overwrite them.
local function absorb(e, record)
  for k, v in pairs(record) do
    if k == MESSAGE_KEY then
      local n = e.n + 1
      e.n = n
      e.messages[n] = type(v) == "string" and v or tostring(v)
    else
      e.fields[k] = v
    end
  end
  e.tick = tick
end

local function build(e, reason)
  local record = e.fields
  if e.n > 0 then record[MESSAGE_KEY] = concat(e.messages, "\n") end
  if reason then
    record.aggregate_incomplete = true
    record.aggregate_reason = reason
  end
  return record
end

local function request_key(record)
  local id = record[KEY]
  local t = type(id)
  if t == "string" then
    if id == "" then return nil end
    return id
  end
  if t == "number" then return tostring(id) end
  return nil
end

-- Fluent Bit's contract: returns code, timestamp, record (-1 holds the line).
function aggregate(tag, timestamp, record)
  local id = request_key(record)
  if id == nil then return 0, timestamp, record end
  local message = record[MESSAGE_KEY]
  local complete = type(message) == "string" and find(message, COMPLETION, 1, COMPLETION_PLAIN) ~= nil
  local e = entries[id]
  if e == nil then
    if complete then return 0, timestamp, record end
    local evicted = nil
    if count >= MAX_ENTRIES then
      evicted = tail
      remove(evicted)
    end
    -- The first line's record becomes the entry's fields as it is.
    -- prev and next listed (as nil) so linking the entry finds their slots.
    e = {key = id, tag = tag, first_ts = timestamp, fields = record, messages = new_messages(), n = 0, tick = tick,
         prev = nil, next = nil}
    if message ~= nil then
      e.messages[1] = type(message) == "string" and message or tostring(message)
      e.n = 1
    end
    entries[id] = e
    count = count + 1
    push_front(e)
    if evicted then return 1, evicted.first_ts, build(evicted, "evicted") end
    return -1, timestamp, record
  end
  absorb(e, record)
  if complete then
    remove(e)
    return 1, e.first_ts, build(e, nil)
  end
  if e ~= head then
    unlink(e)
    push_front(e)
  end
  return -1, timestamp, record
end

-- sluice's timer_call: requests idle for stale_timeout, oldest first, as
-- {tag, timestamp, record} triples.
function aggregate_timer()
  local now = clock()
  tick = tick + 1
  tick_started[tick] = now
  local out = nil
  while tail ~= nil do
    local ended = tick_started[tail.tick + 1]
    if ended == nil or now - ended < STALE_TIMEOUT then break end
    local e = tail
    remove(e)
    out = out or {}
    out[#out + 1] = {e.tag, e.first_ts, build(e, "stale")}
  end
  -- Forget the start times no open request can need any more.
  local keep_from = tail ~= nil and tail.tick + 1 or tick
  while oldest_tick < keep_from do
    tick_started[oldest_tick] = nil
    oldest_tick = oldest_tick + 1
  end
  return out
end

-- sluice's flush_call: every open request at shutdown, oldest first.
function aggregate_flush()
  local out = {}
  while tail ~= nil do
    local e = tail
    remove(e)
    out[#out + 1] = {e.tag, e.first_ts, build(e, "shutdown")}
  end
  return out
end
