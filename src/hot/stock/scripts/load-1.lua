--[[
  load: set a SKU's available from the database, unless it is loaded.

  Input:
    KEYS[1] stock hash        <ns>:{sku:<skuId>}:stock

    ARGV[1] available         total − units of PREPARE_PAY/HAS_PAY lines
    ARGV[2] generation        a new unique value
    ARGV[3] keyPrefix         <ns>:{sku:<skuId>}; the reservation and user
                              held keys are built from it (same hash tag, so
                              the same slot as KEYS[1])
    ARGV[4] pendingCount      P, then P triples: orderId, userId, count — the
                              PREPARE_PAY lines read with `available`
    then    U pairs           userId, units — what each user holds in
                              PREPARE_PAY/HAS_PAY lines (users with 0 left out)

  Output:
    1    loaded
    0    present: stock was loaded already; nothing changed

  A listed reservation that is held (from any generation) or missing is
  (re)written as held with the new generation, so its release gives the units
  back. A listed reservation already released (the order was cancelled after
  the database read) gives its units back here, and its user's count too. A
  paid one stays paid.
]]
if redis.call("HEXISTS", KEYS[1], "a") == 1 then
  return 0
end
local available = tonumber(ARGV[1])
local gen = ARGV[2]
local prefix = ARGV[3]
local pending = tonumber(ARGV[4])
local releasedByUser = {}
local i = 5
for _ = 1, pending do
  local orderId, userId, count = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  local key = prefix .. ":r:" .. orderId
  local state = redis.call("HGET", key, "s")
  if state == "released" then
    available = available + tonumber(count)
    releasedByUser[userId] = (releasedByUser[userId] or 0) + tonumber(count)
  elseif state ~= "paid" then
    redis.call("HSET", key, "s", "held", "c", count, "u", userId, "g", gen)
    redis.call("PERSIST", key)
  end
end
while i <= #ARGV do
  local userId, units = ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  redis.call("HSET", prefix .. ":u:" .. userId, "n", units - (releasedByUser[userId] or 0), "g", gen)
end
redis.call("HSET", KEYS[1], "a", available, "g", gen)
return 1
