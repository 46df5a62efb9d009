--[[
  claim: first writer wins. Store `value` for `ttlSec` if the key is absent;
  otherwise answer the value stored first. SET NX and the GET run as one step,
  so a claimant never sees "taken" without the winner's value.

  Input:
    KEYS[1] claim key       <ns>:{c:<key>}

    ARGV[1] value
    ARGV[2] ttlSec          positive integer

  Output:
    { 1}                    claimed: this call stored `value`
    {-10, value}            taken: the value stored first
    {-99}                   bad argument
]]
local ttl = tonumber(ARGV[2])
if not ttl or ttl <= 0 or ttl % 1 ~= 0 then
  return {-99}
end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2]) then
  return {1}
end
return {-10, redis.call("GET", KEYS[1])}
