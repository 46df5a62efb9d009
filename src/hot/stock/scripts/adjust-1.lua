--[[
  adjust: move a loaded SKU's available by a delta (an admin changed the
  total in the database).

  Input:
    KEYS[1] stock hash        <ns>:{sku:<skuId>}:stock
    ARGV[1] delta             integer (may be negative)

  Output:
    { 1, available }   moved
    {-4}               not loaded (the next load reads the new total), or the
                       delta would take it below zero: the stock is dropped so
                       the next use rebuilds it from the database
    {-99}              bad argument
]]
local delta = tonumber(ARGV[1])
if not delta or delta % 1 ~= 0 then
  return {-99}
end
local a = redis.call("HGET", KEYS[1], "a")
if not a then
  return {-4}
end
if tonumber(a) + delta < 0 then
  redis.call("DEL", KEYS[1])
  return {-4}
end
return {1, redis.call("HINCRBY", KEYS[1], "a", delta)}
