--[[
  loadAvailable: set a missing wallet's `available` from the database balance.

  Input:
    KEYS[1] wallet hash     <ns>:{w:<b>}:wallet:<userId>

    ARGV[1] balance         non-negative integer read from the database
    ARGV[2] version         the account version that balance was read at
    ARGV[3] generation      a fresh unique id for this incarnation of the wallet

  Output:
     1                      loaded
    -6                      present: a wallet is already loaded; nothing changed
    -7                      stale: a credit newer than `version` committed while
                            the wallet was missing (cv > version); read again
    -99                     bad argument

  Wallet fields: a = available, lv = load version, g = generation, cv =
  highest credit version seen (kept while loaded, and after a drop, so an
  older read is refused). Loading removes the TTL a missing-wallet marker has.
]]
local balance = tonumber(ARGV[1])
local version = tonumber(ARGV[2])
if not balance or balance < 0 or balance % 1 ~= 0 or not version or version < 0 or version % 1 ~= 0 then
  return -99
end

local w = redis.call("HMGET", KEYS[1], "a", "cv")
if w[1] then
  return -6
end
if w[2] and tonumber(w[2]) > version then
  return -7
end
redis.call("HSET", KEYS[1], "a", ARGV[1], "lv", ARGV[2], "g", ARGV[3])
redis.call("PERSIST", KEYS[1])
return 1
