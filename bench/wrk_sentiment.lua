-- wrk script: POST /v1/sentiment with varied texts (one per line of $WRK_TEXTS, default
-- the SST-2 dev sentences), cycling through them; each wrk thread starts at a different
-- offset. WRK_UNIQUE=1 appends a tag no other request has to each text (every request then
-- misses the response cache). Used by `make loadtest` and bench/wrk_count.lua.
local path = os.getenv("WRK_TEXTS") or "../shared/data/sst2/dev.tsv"
local bodies = {}

local function json_escape(s)
  s = s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == '\\' then return '\\\\' end
    return string.format("\\u%04x", string.byte(c))
  end)
  return s
end

local first = true
for line in io.lines(path) do
  local text = line
  if path:match("%.tsv$") then
    if first then text = nil else text = line:match("^[^\t]*\t(.*)$") or line:match("^(.-)\t") end
  end
  first = false
  if text and #text > 0 then
    bodies[#bodies + 1] = '{"text":"' .. json_escape(text) .. '"}'
  end
end

local counter = 0
function setup(thread)
  thread:set("offset", counter * 997)
  counter = counter + 1
end

local unique = os.getenv("WRK_UNIQUE") == "1"
local i = 0
function init(args)
  i = offset or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  i = i + 1
  local body = bodies[(i % #bodies) + 1]
  if unique then body = body:sub(1, -3) .. string.format(" #%d.%d", offset or 0, i) .. '"}' end
  return wrk.format(nil, "/v1/sentiment", nil, body)
end
