-- wrk script: GET /get_status for a random one of the videos FIRST..LAST (environment), all owned by
-- com.perf/perf: apps polling many videos, where most reads miss the status cache (a row is re-read after 1 s).
local first = tonumber(os.getenv("FIRST"))
local last = tonumber(os.getenv("LAST"))
local seeded = false
request = function()
  if not seeded then
    -- Each wrk thread has its own Lua state: seed each apart.
    math.randomseed(os.time() + math.floor(os.clock() * 1000000) + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
    seeded = true
  end
  return wrk.format("GET", "/get_status?video_id=" .. math.random(first, last) .. "&app_bundle_id=com.perf&apphud_user_id=perf")
end
