--[[
  release: give an order's units of a SKU back, exactly once.

  Input:
    KEYS[1] stock hash        <ns>:{sku:<skuId>}:stock
    KEYS[2] reservation hash  <ns>:{sku:<skuId>}:r:<orderId>
    KEYS[3] unlanded zset     <ns>:{sku:<skuId>}:unlanded

    ARGV[1] orderId
    ARGV[2] tombstoneTtlSec   how long the released reservation is remembered
    ARGV[3] userHeldPrefix    <ns>:{sku:<skuId>}:u: (the user held hash is
                              this + the reservation's userId; same slot)

  Output:
    { 1, available }   released; units back in `available`
    { 2 }              absorbed: released, but the stock was loaded after the
                       units were taken (the load read a database that never
                       held them) or is not loaded; `available` unchanged. An
                       unknown reservation (lost with the hot store) is
                       recorded as released, so a load listing the order
                       hands its units back and a late reserve is refused
    {-1}               not held: already released or paid; nothing changed

  Fields as in reserve-4.lua. The user held counter goes down only when it
  belongs to the reservation's generation.
]]
redis.call("ZREM", KEYS[3], ARGV[1])
local r = redis.call("HMGET", KEYS[2], "s", "c", "u", "g")
if not r[1] then
  redis.call("HSET", KEYS[2], "s", "released", "c", 0)
  redis.call("EXPIRE", KEYS[2], ARGV[2])
  return {2}
end
if r[1] ~= "held" then
  return {-1}
end

redis.call("HSET", KEYS[2], "s", "released")
redis.call("EXPIRE", KEYS[2], ARGV[2])
local g = redis.call("HGET", KEYS[1], "g")
if not g or g ~= r[4] then
  return {2}
end
local available = redis.call("HINCRBY", KEYS[1], "a", r[2])
local userKey = ARGV[3] .. r[3]
if redis.call("HGET", userKey, "g") == r[4] then
  redis.call("HINCRBY", userKey, "n", -tonumber(r[2]))
end
return {1, available}
