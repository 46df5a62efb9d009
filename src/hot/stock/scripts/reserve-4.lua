--[[
  reserve: take `count` units of a SKU for an order, checking the user's
  limit, idempotent on the order id.

  Input:
    KEYS[1] stock hash        <ns>:{sku:<skuId>}:stock
    KEYS[2] reservation hash  <ns>:{sku:<skuId>}:r:<orderId>
    KEYS[3] user held hash    <ns>:{sku:<skuId>}:u:<userId>
    KEYS[4] unlanded zset     <ns>:{sku:<skuId>}:unlanded

    ARGV[1] orderId
    ARGV[2] userId
    ARGV[3] count             positive integer
    ARGV[4] limitPerUser      non-negative integer; 0 = no limit
    ARGV[5] nowMs             reserve time (epoch ms), the unlanded score

  Output:
    { 1, available }   reserved; `available` after it
    {-1, available}    short: fewer than `count` available; nothing changed
    {-2}               duplicate: this order has a reservation (held, or a
                       released/paid tombstone); nothing changed
    {-3, held}         limit: held + count would exceed the limit; nothing changed
    {-4}               unloaded: no stock; load it from the database, retry
    {-99}              bad argument

  Stock fields: a = available, g = generation (a new one per load).
  Reservation fields: s = held | released | paid, c = count, u = userId,
  g = the generation the units were taken from.
  User held fields: n = units in live reservations, g = the generation n
  belongs to (a counter from an older generation counts as 0: the load that
  started this one re-stamped every user holding units).
]]
local count = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
if not count or count <= 0 or count % 1 ~= 0 or not limit or limit < 0 or limit % 1 ~= 0 then
  return {-99}
end

if redis.call("EXISTS", KEYS[2]) == 1 then
  return {-2}
end

local s = redis.call("HMGET", KEYS[1], "a", "g")
if not s[1] then
  return {-4}
end

local u = redis.call("HMGET", KEYS[3], "n", "g")
local held = 0
if u[2] == s[2] then
  held = tonumber(u[1])
end
if limit > 0 and held + count > limit then
  return {-3, held}
end

local available = tonumber(s[1])
if available < count then
  return {-1, available}
end

available = redis.call("HINCRBY", KEYS[1], "a", -count)
redis.call("HSET", KEYS[3], "n", held + count, "g", s[2])
redis.call("HSET", KEYS[2], "s", "held", "c", count, "u", ARGV[2], "g", s[2])
redis.call("ZADD", KEYS[4], ARGV[5], ARGV[1])
return {1, available}
