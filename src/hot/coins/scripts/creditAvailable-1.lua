--[[
  creditAvailable: after a credit of `amount` committed in the database and
  raised the account to `version`, add it to `available` unless the loaded
  value already holds it.

  Input:
    KEYS[1] wallet hash     <ns>:{w:<b>}:wallet:<userId>

    ARGV[1] amount          positive integer
    ARGV[2] version         account version after the credit
    ARGV[3] markerTtlSec    how long a missing wallet remembers the version

  Output:
     1                      applied: version > load version, amount added
    -8                      already counted: version <= load version (the load
                            read a row that includes this credit); nothing added
    -4                      unloaded: no wallet; the version is remembered (cv)
                            so a load that read an older row gets `stale`
    -99                     bad argument

  Credits are applied against the load version, not the last credit's, so
  credits arriving out of order are each counted once.
]]
local amount = tonumber(ARGV[1])
local version = tonumber(ARGV[2])
local markerTtl = tonumber(ARGV[3])
if not amount or amount <= 0 or amount % 1 ~= 0 or not version or version < 0 or version % 1 ~= 0
    or not markerTtl or markerTtl <= 0 or markerTtl % 1 ~= 0 then
  return -99
end

local w = redis.call("HMGET", KEYS[1], "a", "lv", "cv")
if not w[3] or tonumber(w[3]) < version then
  redis.call("HSET", KEYS[1], "cv", ARGV[2])
end
if not w[1] then
  redis.call("EXPIRE", KEYS[1], ARGV[3])
  return -4
end
if version > tonumber(w[2]) then
  redis.call("HINCRBY", KEYS[1], "a", ARGV[1])
  return 1
end
return -8
