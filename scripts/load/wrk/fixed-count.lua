-- What the fixed-count wrk scripts share (fixed-sends.lua, fixed-requests.lua):
-- each thread sends exactly `quota` counted requests, built by the script's
-- nextRequest(i) (i = 0, 1, … within the thread), then stops once every one
-- is answered. The script's init() sets quota, acceptedStatus and nextRequest.
--
-- wrk has no request count, only a duration, and stopping a thread abandons
-- its in-flight requests (whose outcome would then be unknown). So once a
-- thread has issued its share it sends GET /healthz instead, and stops when
-- every one of its requests is answered, printing "D <id>". The caller
-- interrupts wrk when all threads are done. Progress: "P <id> <answered> <accepted>",
-- where accepted counts answers with acceptedStatus.
-- wrk asks each thread for one request it never sends (it builds the first
-- one ahead); that one is a filler too, so no counted request is built and dropped.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local issued, primed, statuses = 0, false, {}
answered, accepted, statusline = 0, 0, ""
quota, acceptedStatus = 0, 200
local filler

local function summarize()
  local parts = {}
  for status, n in pairs(statuses) do parts[#parts + 1] = status .. ":" .. n end
  statusline = table.concat(parts, ",")
end

function request()
  if not primed then
    primed = true
    filler = wrk.format("GET", "/healthz")
    return filler
  end
  if issued >= quota then return filler end
  issued = issued + 1
  return nextRequest(issued - 1)
end

function response(status, headers, body)
  if not (status == 200 and body and body:find('"status":"up"', 1, true)) then
    answered = answered + 1
    if status == acceptedStatus then accepted = accepted + 1 end
    statuses[status] = (statuses[status] or 0) + 1
    if answered % 500 == 0 then
      summarize()
      io.write(string.format("P %d %d %d\n", id, answered, accepted))
      io.flush()
    end
  end
  if answered >= quota then
    summarize()
    io.write(string.format("D %d %d %d\n", id, answered, accepted))
    io.flush()
    wrk.thread:stop()
  end
end
