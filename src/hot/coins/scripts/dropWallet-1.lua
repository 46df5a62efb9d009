--[[
  dropWallet: forget a user's `available` (not the admissions); the next
  admission rebuilds it from the database.

  Input:
    KEYS[1] wallet hash     <ns>:{w:<b>}:wallet:<userId>

    ARGV[1] markerTtlSec    how long the dropped wallet remembers its version
    ARGV[2] ifKnownVersion  optional: drop only while the wallet still reflects
                            exactly this version, max(lv, cv) (the `known` an
                            insufficient admitDebit reported); "" drops always

  Output:
     1                      dropped
     0                      no wallet was loaded
     2                      kept: the wallet reflects another version (someone
                            already rebuilt it; dropping it again would forget
                            debits admitted since that rebuild)
    -99                     bad argument

  The highest version the wallet knew (load or credit) stays behind as cv, for
  markerTtlSec, so a load that read the database before a credit this wallet
  had already counted is told `stale` rather than losing that credit.
]]
local markerTtl = tonumber(ARGV[1])
if not markerTtl or markerTtl <= 0 or markerTtl % 1 ~= 0 then
  return -99
end
local w = redis.call("HMGET", KEYS[1], "a", "lv", "cv")
if not w[1] then
  return 0
end
if ARGV[2] and ARGV[2] ~= "" then
  local expected = tonumber(ARGV[2])
  if not expected then
    return -99
  end
  if math.max(tonumber(w[2]) or 0, tonumber(w[3]) or 0) ~= expected then
    return 2
  end
end
if not w[3] or tonumber(w[3]) < tonumber(w[2]) then
  redis.call("HSET", KEYS[1], "cv", w[2])
end
redis.call("HDEL", KEYS[1], "a", "lv", "g")
redis.call("EXPIRE", KEYS[1], ARGV[1])
return 1
