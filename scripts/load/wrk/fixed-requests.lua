-- wrk script for a fixed list of prepared POSTs (recharge-notify.ts): a file
-- with one request per line, "<path>\t<X-Pay-Timestamp>\t<X-Pay-Signature>\t<body>";
-- each thread sends its share, request k (0-based, over all threads) being
-- line k + 1, so the caller knows what every request was.
--
--   wrk ... -s fixed-requests.lua <url> -- requestsFile acceptedStatus threads
--
-- Counting, stopping and progress: fixed-count.lua.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "fixed-count.lua")

local requests

function init(args)
  acceptedStatus = tonumber(args[2])
  local nthreads = tonumber(args[3])
  -- Only this thread's lines are formatted (k = id, id + threads, …).
  requests = {}
  local k = 0
  for line in io.lines(args[1]) do
    if k % nthreads == id then
      local path, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/json",
        ["X-Pay-Timestamp"] = ts,
        ["X-Pay-Signature"] = sig,
      }, body)
    end
    k = k + 1
  end
  quota = #requests
end

function nextRequest(i)
  return requests[i + 1]
end
