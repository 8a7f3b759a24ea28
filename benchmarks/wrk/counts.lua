-- Comment counts of 50 random bulk-set pages per request: Rejoinder's POST /api/v1/counts,
-- or with BENCH_TARGET=isso, Isso's POST /count (a JSON list of URIs).
local pages = tonumber(os.getenv("BENCH_PAGES") or "100000")
local isso = os.getenv("BENCH_TARGET") == "isso"
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

function request()
  local urls = {}
  for i = 1, 50 do
    local n = math.random(1, pages)
    if isso then
      urls[i] = '"/articles/' .. n .. '"'
    else
      urls[i] = '"https://bulk.example/articles/' .. n .. '"'
    end
  end
  local headers = { ["Content-Type"] = "application/json" }
  if isso then
    return wrk.format("POST", "/count", headers, "[" .. table.concat(urls, ",") .. "]")
  end
  return wrk.format("POST", "/api/v1/counts", headers, '{"urls":[' .. table.concat(urls, ",") .. "]}")
end
