-- wrk script for gift-burst.ts: each thread sends its share of G gift sends,
-- send k (0-based, over all threads) by user k mod U with requestId
-- "<runId>-<k>", so the caller can tell who sent any k.
--
--   wrk ... -s gift-send.lua <url> -- tokensFile giftId roomId receiverId runId G
--
-- wrk has no request count, only a duration, and stopping a thread abandons
-- its in-flight requests (whose outcome would then be unknown). So once a
-- thread has issued its share it sends GET /healthz instead, and stops when
-- every one of its gift sends is answered, printing "D <id>". The caller
-- interrupts wrk when all threads are done. Progress: "P <id> <answered> <accepted>".
-- wrk asks each thread for one request it never sends (it builds the first
-- one ahead); that one is a filler too, so no gift send is built and dropped.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local tokens, quota, nthreads, base
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
  base = string.format('{"giftId":%s,"roomId":%s,"receiverId":%s,"requestId":"%s-', args[2], args[3], args[4], args[5])
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
  return wrk.format("POST", "/api/gifts/send", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = tokens[(k % #tokens) + 1],
  }, base .. k .. '"}')
end

function response(status, headers, body)
  if not (status == 200 and body and body:find('"status":"up"', 1, true)) then
    answered = answered + 1
    if status == 202 then accepted = accepted + 1 end
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
