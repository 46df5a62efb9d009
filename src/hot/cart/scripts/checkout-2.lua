--[[
  checkout: an order's first read — the cart's lines and the order request
  id's mark, in one round trip. The mark says an earlier order attempt of the
  user carried this request id (so an order with it may exist and the caller
  must look in the database); a request id never seen needs no database look.

  Input:
    KEYS[1] cart hash     <ns>:{u:<userId>}:cart:<roomId>  (field skuId → count)
    KEYS[2] request mark  <ns>:{u:<userId>}:req:<requestId>

    ARGV[1] ttlSec        positive integer: how long the mark is kept

  Output:
    { seen, lines }   seen 1 when the mark existed (it is left as it was),
                      0 when this call set it; lines = HGETALL of the cart
                      (a flat list skuId, count, …; empty when no cart)
    {-99}             bad argument
]]
local ttl = tonumber(ARGV[1])
if not ttl or ttl <= 0 or ttl % 1 ~= 0 then
  return {-99}
end
local seen = 1
if redis.call("SET", KEYS[2], "1", "NX", "EX", ttl) then
  seen = 0
end
return {seen, redis.call("HGETALL", KEYS[1])}
