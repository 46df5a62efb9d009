--[[
  claimAdmission: the gift consumer takes an admission before its database
  transaction (step D); pending → claimed. From then on the sender's cancel
  (refundDebit with onlyPending) is refused, so a send the consumer is about
  to debit can no longer be answered 503 by its sender.

  Input:
    KEYS[1] admission hash  <ns>:{w:<b>}:adm:<userId>:<admissionId>

  Output:
    "claimed"               it was pending or already claimed (a redelivery or
                            a re-drive of a claimed admission whose consumer
                            died: claiming again is a no-op)
    "settled" | "refunded"  already finished; nothing changed
    false (nil)             unknown or expired

  A claimed admission keeps everything a pending one has — amount, wallet
  generation, payload, its pending-index entry and its expiry — so the re-drive
  sweeper still re-publishes it if the claiming consumer dies, and settle or
  refund finish it exactly as from pending.
]]
local state = redis.call("HGET", KEYS[1], "s")
if state == "pending" then
  redis.call("HSET", KEYS[1], "s", "claimed")
  return "claimed"
end
return state
