-- wrk script for a fixed count of POSTs (gift-burst.ts, flash-sale.ts): each
-- thread sends its share of T requests; request k (0-based, over all threads)
-- is sent by user k mod U with the body <bodyPrefix><k><bodySuffix>, so the
-- caller can tell who sent any k (its requestId ends in k).
--
--   wrk ... -s fixed-sends.lua <url> -- tokensFile path acceptedStatus bodyPrefix bodySuffix T threads
--
-- Counting, stopping and progress: fixed-count.lua. accepted counts answers
-- with acceptedStatus (202 for a gift send, 201 for an order).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "fixed-count.lua")

local tokens, nthreads, path, bodyPrefix, bodySuffix

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
end

function nextRequest(i)
  local k = i * nthreads + id
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = tokens[(k % #tokens) + 1],
  }, bodyPrefix .. k .. bodySuffix)
end
