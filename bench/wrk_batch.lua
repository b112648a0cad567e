-- wrk script: POST /v1/sentiment/batch with 16 texts a request (lines of $WRK_TEXTS, default the
-- SST-2 dev sentences), cycling. Used by bench/soak.sh beside wrk_sentiment.lua.
local path = os.getenv("WRK_TEXTS") or "../shared/data/sst2/dev.tsv"
local texts = {}

local function json_escape(s)
  return (s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' elseif c == '\\' then return '\\\\' end
    return string.format("\\u%04x", string.byte(c))
  end))
end

local first = true
for line in io.lines(path) do
  local text = line
  if path:match("%.tsv$") then
    if first then text = nil else text = line:match("^[^\t]*\t(.*)$") or line:match("^(.-)\t") end
  end
  first = false
  if text and #text > 0 then texts[#texts + 1] = '"' .. json_escape(text) .. '"' end
end

local i = 0
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local batch = {}
  for k = 1, 16 do
    i = i + 1
    batch[k] = texts[(i % #texts) + 1]
  end
  return wrk.format(nil, "/v1/sentiment/batch", nil, '{"texts":[' .. table.concat(batch, ",") .. ']}')
end
