--[[
  settleDebit: an admission's debit is now in the database; pending or
  claimed → settled.
  `available` is unchanged (it already excludes the debit).

  Input:
    KEYS[1] admission hash  <ns>:{w:<b>}:adm:<userId>:<admissionId>
    KEYS[2] pending index   <ns>:{w:<b>}:pending

    ARGV[1] member          <userId>:<admissionId>
    ARGV[2] retryWindowSec  positive integer: how long the settled record
                            answers retries with its first outcome

  Output:
     1                      settled
    -5                      neither pending nor claimed (settled, refunded,
                            expired or unknown)
    -99                     bad argument

  The pending-index entry is removed in every case (an entry whose admission
  expired is garbage). The settled record keeps only {s, f} (amount,
  generation and payload are dropped) and lives `retryWindowSec`.
]]
local window = tonumber(ARGV[2])
if not window or window <= 0 or window % 1 ~= 0 then
  return -99
end
redis.call("ZREM", KEYS[2], ARGV[1])
local state = redis.call("HGET", KEYS[1], "s")
if state ~= "pending" and state ~= "claimed" then
  return -5
end
redis.call("HSET", KEYS[1], "s", "settled")
redis.call("HDEL", KEYS[1], "m", "g", "p")
redis.call("EXPIRE", KEYS[1], window)
return 1
