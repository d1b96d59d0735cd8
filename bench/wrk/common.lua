-- Shared part of the bench/wrk scenario scripts (loaded by each of them).
--
-- Environment:
--   BENCH_AUTH  value of the Authorization header ("Basic ...").
--
-- Every thread counts the responses whose status is not 200; done() prints
-- one machine-readable line that bench/rest.sh parses:
--   BENCH_RESULT requests=N duration_us=N rps=F non200=N bytes=N
--                connect=N read=N write=N timeout=N status=N p50_us=N p99_us=N

local common = {}

function common.configure(method, body)
  wrk.method = method
  wrk.body = body
  wrk.headers["Authorization"] = os.getenv("BENCH_AUTH") or error("BENCH_AUTH is not set")
  if body ~= nil then
    wrk.headers["Content-Type"] = "application/json"
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  first_bad = ""
end

function response(status, headers, body)
  if status ~= 200 then
    if non200 == 0 then
      first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200)
    end
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local non200_total = 0
  for _, thread in ipairs(threads) do
    local n = thread:get("non200") or 0
    if n > 0 and non200_total == 0 then
      io.stderr:write("first non-200 response: " .. tostring(thread:get("first_bad")) .. "\n")
    end
    non200_total = non200_total + n
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f non200=%d bytes=%d connect=%d read=%d write=%d timeout=%d status=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.requests / seconds, non200_total, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end

return common
