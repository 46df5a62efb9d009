--[[
  refundDebit: an admission's debit will never be persisted; pending (or
  claimed) → refunded and its amount goes back to `available`, exactly once.
  The sender's cancel passes onlyPending: once the consumer has claimed the
  admission (claimAdmissions-1.lua) it will debit the send, so the cancel is
  refused and the sender answers 202 instead of 503.

  Input:
    KEYS[1] wallet hash     <ns>:{w:<b>}:wallet:<userId>
    KEYS[2] admission hash  <ns>:{w:<b>}:adm:<userId>:<admissionId>
    KEYS[3] pending index   <ns>:{w:<b>}:pending

    ARGV[1] member          <userId>:<admissionId>
    ARGV[2] retryWindowSec  positive integer: how long the refunded record
                            answers retries with its first outcome
    ARGV[3] onlyPending     "1": refund only from pending (the sender's cancel);
                            "0": from pending or claimed (the consumer)

  Output:
     1                      refunded; the amount was added back to `available`
     2                      refunded; `available` was rebuilt from the database
                            after the debit (or is not loaded), and the database
                            never saw this debit, so the rebuilt value already
                            holds the amount and adding it again would invent coins
    -5                      not refundable: settled, refunded, expired, unknown,
                            or claimed while onlyPending
    -99                     bad argument

  The admission remembers the wallet generation (g) it was debited from; the
  amount goes back only to that same generation. The pending-index entry is
  removed in every case but a refused cancel of a claimed admission (that one
  is still unfinished and stays re-drivable); the refunded record keeps only {s, f} and lives
  `retryWindowSec`.
]]
local window = tonumber(ARGV[2])
if not window or window <= 0 or window % 1 ~= 0 or (ARGV[3] ~= "1" and ARGV[3] ~= "0") then
  return -99
end
local adm = redis.call("HMGET", KEYS[2], "s", "m", "g")
if adm[1] == "claimed" and ARGV[3] == "1" then
  return -5
end
redis.call("ZREM", KEYS[3], ARGV[1])
if adm[1] ~= "pending" and adm[1] ~= "claimed" then
  return -5
end
redis.call("HSET", KEYS[2], "s", "refunded")
redis.call("HDEL", KEYS[2], "m", "g", "p")
redis.call("EXPIRE", KEYS[2], window)
local generation = redis.call("HGET", KEYS[1], "g")
if generation and generation == adm[3] then
  redis.call("HINCRBY", KEYS[1], "a", adm[2])
  return 1
end
return 2
