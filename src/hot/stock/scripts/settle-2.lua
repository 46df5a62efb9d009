--[[
  settle: an order is paid; its reservation can no longer be released.

  Input:
    KEYS[1] reservation hash  <ns>:{sku:<skuId>}:r:<orderId>
    KEYS[2] unlanded zset     <ns>:{sku:<skuId>}:unlanded

    ARGV[1] orderId
    ARGV[2] tombstoneTtlSec

  Output:
    1    held → paid (the units stay sold; the user's held counter keeps them)
    0    not held (unknown, released or paid already); nothing changed
]]
redis.call("ZREM", KEYS[2], ARGV[1])
if redis.call("HGET", KEYS[1], "s") ~= "held" then
  return 0
end
redis.call("HSET", KEYS[1], "s", "paid")
redis.call("EXPIRE", KEYS[1], ARGV[2])
return 1
