-- wrk reporting shared by every load script: numbers each thread, and at the
-- end prints one machine-readable line "R {json}" with wrk's totals, latency
-- percentiles and each thread's own counters (answered, accepted, statuses —
-- zero for scripts that do not keep them).
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local per = {}
  for _, t in ipairs(threads) do
    per[#per + 1] = string.format('{"id":%d,"answered":%d,"accepted":%d,"statuses":"%s"}',
      t:get("id"), t:get("answered") or 0, t:get("accepted") or 0, t:get("statusline") or "")
  end
  local e = summary.errors
  io.write(string.format(
    'R {"durationUs":%d,"requests":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"threads":[%s]}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(per, ",")))
  io.flush()
end
