-- wrk script: optionally loads another wrk script (WRK_SCRIPT, e.g. ../shared/bench/post.lua) and prints one
-- machine-readable summary line at the end: completed responses, responses with status >= 400 (wrk's
-- "non-2xx"), and socket errors. It defines no response() hook, so it does not slow wrk down.
local inner = os.getenv("WRK_SCRIPT")
if inner and inner ~= "" then dofile(inner) end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_SUMMARY requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
