-- wrk script: the requests of wrk_sentiment.lua (POST /v1/sentiment, varied texts from
-- $WRK_TEXTS), and a count of every answer that is not 2xx. wrk's own summary counts
-- only "Non-2xx or 3xx"; this one counts 3xx as failures too and adds one line that a
-- test reads:
--   wrk-count responses=N non2xx=N connect=N read=N write=N timeout=N p50_ms=X p99_ms=X rps=X
-- Used by tests/cli/replicas.sh (failure drills through nginx).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_sentiment.lua")

local threads = {}
local base_setup = setup
function setup(thread)
  base_setup(thread)
  table.insert(threads, thread)
end

responses = 0
non2xx = 0
last_bad = ""
function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    last_bad = tostring(status)
  end
end

function done(summary, latency, requests)
  local n, bad, what = 0, 0, ""
  for _, t in ipairs(threads) do
    n = n + t:get("responses")
    bad = bad + t:get("non2xx")
    if t:get("last_bad") ~= "" then what = t:get("last_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    "wrk-count responses=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_ms=%.3f p99_ms=%.3f rps=%.0f last_bad=%s\n",
    n, bad, e.connect, e.read, e.write, e.timeout, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6), what ~= "" and what or "-"))
end
