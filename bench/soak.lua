-- wrk script of bench/soak.sh: one endpoint, or a rotating mix, with per-kind status counts.
--
-- One endpoint (the URL given to wrk):
--   WRK_HEADER="Name: value"  an extra request header (e.g. If-None-Match for 304s)
--   SOAK_MISS=1               every request a response-cache miss: same URL, same SQL, same
--                             body, but a unique extra media range in Accept (part of the
--                             cache key; content negotiation still picks JSON)
-- Mix (SOAK_MIX=file): lines "kind<TAB>path[<TAB>Name: value]"; requests rotate through the
-- kinds in file order, a random line of the kind each time.
--
-- Each request carries X-Request-ID "<kind>-<thread>-<n>", which the app echoes, so a
-- response is counted under its kind (wrk does not say which request a response answers).
-- done() prints RESULT (totals, latency in ms) and one KIND line per kind; a status outside
-- 200-399 is counted in `bad`, and X-Cache hit/miss answers in `hits`/`misses`; `coalesced`
-- answers (a miss that waited for another worker computing the same answer) in `coalesced`.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local function split_header(header)
  if header and header ~= "" then
    local name, value = header:match("^([^:]+):%s*(.*)$")
    if name then
      return name, value
    end
  end
  return nil, nil
end

local kinds -- list of {name=..., lines={{path=..., hname=..., hvalue=...}, ...}}
local miss = os.getenv("SOAK_MISS") == "1"
-- Unique per wrk run (bench/soak.sh sets it), so a run never hits what an earlier one cached.
local nonce = os.getenv("SOAK_NONCE") or tostring(os.time())
local sent = 0
-- Flat on purpose: wrk 4.1's thread:get crashes copying nested tables. Keys are
-- "<kind>|<field>" (requests, ok, not_modified, bad, hits, misses) and "<kind>|status|<code>".
counts = {}

local function add(kind, field, n)
  local key = kind .. "|" .. field
  counts[key] = (counts[key] or 0) + (n or 1)
end

function init(args)
  math.randomseed(tid * 7919 + os.time())
  local mix = os.getenv("SOAK_MIX")
  kinds = {}
  if mix and mix ~= "" then
    local index = {}
    for line in io.lines(mix) do
      local kind, path, header = line:match("^([^\t]+)\t([^\t]+)\t?(.*)$")
      if kind then
        if not index[kind] then
          index[kind] = { name = kind, lines = {} }
          table.insert(kinds, index[kind])
        end
        local hname, hvalue = split_header(header)
        table.insert(index[kind].lines, { path = path, hname = hname, hvalue = hvalue })
      end
    end
  else
    local hname, hvalue = split_header(os.getenv("WRK_HEADER"))
    kinds[1] = { name = "endpoint", lines = { { path = wrk.path, hname = hname, hvalue = hvalue } } }
  end
  for _, kind in ipairs(kinds) do
    add(kind.name, "requests", 0)
  end
end

function request()
  sent = sent + 1
  local kind = kinds[(sent - 1) % #kinds + 1]
  local line = kind.lines[math.random(#kind.lines)]
  local headers = { ["X-Request-ID"] = kind.name .. "-" .. tid .. "-" .. sent }
  if line.hname then
    headers[line.hname] = line.hvalue
  end
  if miss then
    headers["Accept"] = "application/json, application/x-bench-miss-" .. nonce .. "-" .. tid .. "-" .. sent
  end
  return wrk.format("GET", line.path, headers)
end

local function header(headers, name)
  return headers[name] or headers[name:lower()]
end

function response(status, headers, body)
  local id = header(headers, "X-Request-ID") or ""
  local kind = id:match("^(.-)%-%d+%-%d+$")
  if not kind or not counts[kind .. "|requests"] then
    kind = "(unmatched)"
  end
  add(kind, "requests")
  add(kind, "status|" .. status)
  if status == 304 then
    add(kind, "not_modified")
  end
  if status >= 200 and status < 400 then
    add(kind, "ok")
  else
    add(kind, "bad")
  end
  local cache = header(headers, "X-Cache")
  if cache == "hit" then
    add(kind, "hits")
  elseif cache == "miss" then
    add(kind, "misses")
  elseif cache == "coalesced" then
    add(kind, "coalesced")
  end
end

function done(summary, latency, requests)
  local totals = {} -- kind -> field -> n, and kind -> "statuses" -> code -> n
  local order = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      local kind, field = key:match("^(.-)|(.*)$")
      local t = totals[kind]
      if not t then
        t = {
          requests = 0, ok = 0, not_modified = 0, bad = 0, hits = 0, misses = 0, coalesced = 0,
          statuses = {},
        }
        totals[kind] = t
        table.insert(order, kind)
      end
      local code = field:match("^status|(%d+)$")
      if code then
        t.statuses[code] = (t.statuses[code] or 0) + n
      else
        t[field] = t[field] + n
      end
    end
  end
  table.sort(order)
  local answered, bad, hits, misses, coalesced = 0, 0, 0, 0, 0
  for _, name in ipairs(order) do
    local t = totals[name]
    answered = answered + t.requests
    bad = bad + t.bad
    hits = hits + t.hits
    misses = misses + t.misses
    coalesced = coalesced + t.coalesced
    local statuses = {}
    for code, n in pairs(t.statuses) do
      table.insert(statuses, code .. ":" .. n)
    end
    table.sort(statuses)
    io.write(string.format(
      "KIND kind=%s requests=%d ok=%d not_modified=%d bad=%d hits=%d misses=%d coalesced=%d "
        .. "statuses=%s\n",
      name, t.requests, t.ok, t.not_modified, t.bad, t.hits, t.misses, t.coalesced,
      table.concat(statuses, ",")
    ))
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50=%.2f p99=%.2f requests=%d answered=%d bad=%d hits=%d misses=%d "
      .. "coalesced=%d socket_errors=%d connect=%d read=%d write=%d timeout=%d wrk_status_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.requests, answered, bad, hits, misses, coalesced,
    e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout, e.status
  ))
end
