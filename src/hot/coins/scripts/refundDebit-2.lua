--[[
  refundDebit: an admission's debit could not be persisted; pending → refunded
  and its amount goes back to `available`, exactly once.

  Input:
    KEYS[1] wallet hash     <ns>:{u:<userId>}:wallet
    KEYS[2] admission hash  <ns>:{u:<userId>}:adm:<admissionId>

  Output:
     1                      refunded; the amount was added back to `available`
     2                      refunded; `available` was rebuilt from the database
                            after the debit (or is not loaded), and the database
                            never saw this debit, so the rebuilt value already
                            holds the amount and adding it again would invent coins
    -5                      not pending (settled, refunded, expired or unknown)

  The admission remembers the wallet generation (g) it was debited from; the
  amount goes back only to that same generation. The admission keeps its TTL.
]]
local adm = redis.call("HMGET", KEYS[2], "s", "m", "g")
if adm[1] ~= "pending" then
  return -5
end
redis.call("HSET", KEYS[2], "s", "refunded")
local generation = redis.call("HGET", KEYS[1], "g")
if generation and generation == adm[3] then
  redis.call("HINCRBY", KEYS[1], "a", adm[2])
  return 1
end
return 2
