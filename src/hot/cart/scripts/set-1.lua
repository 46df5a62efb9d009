--[[
  set: set a cart line's count; 0 removes the line.

  Input:
    KEYS[1] cart hash   <ns>:{u:<userId>}:cart:<roomId>  (field skuId → count)

    ARGV[1] skuId
    ARGV[2] count       non-negative integer
    ARGV[3] ttlSec      positive integer: the cart's expiry, refreshed

  Output:
    1      done
    -99    bad argument
]]
local count = tonumber(ARGV[2])
if not count or count < 0 or count % 1 ~= 0 then
  return -99
end
if count == 0 then
  redis.call("HDEL", KEYS[1], ARGV[1])
  return 1
end
redis.call("HSET", KEYS[1], ARGV[1], count)
redis.call("EXPIRE", KEYS[1], ARGV[3])
return 1
