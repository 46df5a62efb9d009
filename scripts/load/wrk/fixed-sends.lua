-- wrk script for a fixed count of POSTs (gift-burst.ts, flash-sale.ts): each
-- thread sends its share of T requests; request k (0-based, over all threads)
-- is sent by user k mod U with the body <bodyPrefix><k><bodySuffix>, so the
-- caller can tell who sent any k (its requestId ends in k).
--
--   wrk ... -s fixed-sends.lua <url> -- tokensFile path acceptedStatus bodyPrefix bodySuffix T threads
--
-- wrk has no request count, only a duration, and stopping a thread abandons
-- its in-flight requests (whose outcome would then be unknown). So once a
-- thread has issued its share it sends GET /healthz instead, and stops when
-- every one of its requests is answered, printing "D <id>". The caller
-- interrupts wrk when all threads are done. Progress: "P <id> <answered> <accepted>",
-- where accepted counts answers with acceptedStatus (202 for a gift send,
-- 201 for an order).
-- wrk asks each thread for one request it never sends (it builds the first
-- one ahead); that one is a filler too, so no counted request is built and dropped.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local tokens, quota, nthreads, path, acceptedStatus, bodyPrefix, bodySuffix
local issued, primed, statuses = 0, false, {}
answered, accepted, statusline = 0, 0, ""

local function summarize()
  local parts = {}
  for status, n in pairs(statuses) do parts[#parts + 1] = status .. ":" .. n end
  statusline = table.concat(parts, ",")
end

function init(args)
  tokens = {}
  for line in io.lines(args[1]) do tokens[#tokens + 1] = "Bearer " .. line end
  path = args[2]
  acceptedStatus = tonumber(args[3])
  bodyPrefix, bodySuffix = args[4], args[5]
  local total = tonumber(args[6])
  nthreads = tonumber(args[7])
  quota = math.floor(total / nthreads)
  if id < total % nthreads then quota = quota + 1 end
  filler = wrk.format("GET", "/healthz")
end

function request()
  if not primed then
    primed = true
    return filler
  end
  if issued >= quota then return filler end
  local k = issued * nthreads + id
  issued = issued + 1
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = tokens[(k % #tokens) + 1],
  }, bodyPrefix .. k .. bodySuffix)
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
