--[[
  settleDebit: an admission's debit is now in the database; pending → settled.
  `available` is unchanged (it already excludes the debit).

  Input:
    KEYS[1] admission hash  <ns>:{u:<userId>}:adm:<admissionId>

  Output:
     1                      settled
    -5                      not pending (settled, refunded, expired or unknown)

  The admission keeps its TTL.
]]
if redis.call("HGET", KEYS[1], "s") ~= "pending" then
  return -5
end
redis.call("HSET", KEYS[1], "s", "settled")
return 1
