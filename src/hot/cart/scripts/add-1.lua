--[[
  add: add units of a SKU to a cart line, refused past a ceiling.

  Input:
    KEYS[1] cart hash   <ns>:{u:<userId>}:cart:<roomId>  (field skuId → count)

    ARGV[1] skuId
    ARGV[2] count       positive integer
    ARGV[3] maxCount    positive integer: the most one line may hold
    ARGV[4] ttlSec      positive integer: the cart's expiry, refreshed

  Output:
    { 1, count }   added; the line's count after it
    {-1, count}    over: the line would pass maxCount; nothing changed
    {-99}          bad argument
]]
local count = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
if not count or count <= 0 or count % 1 ~= 0 or not max or max <= 0 then
  return {-99}
end
local have = tonumber(redis.call("HGET", KEYS[1], ARGV[1]) or "0")
if have + count > max then
  return {-1, have}
end
redis.call("HSET", KEYS[1], ARGV[1], have + count)
redis.call("EXPIRE", KEYS[1], ARGV[4])
return {1, have + count}
