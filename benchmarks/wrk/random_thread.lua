-- Thread reads of random pages of the bulk set (pages 1..BENCH_PAGES, see seed.py bulk_url).
-- BENCH_TARGET=isso asks Isso's GET /?uri= for the same pages instead.
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
  local n = math.random(1, pages)
  if isso then
    return wrk.format("GET", "/?uri=%2Farticles%2F" .. n)
  end
  return wrk.format("GET", "/api/v1/threads?url=https%3A%2F%2Fbulk.example%2Farticles%2F" .. n)
end
