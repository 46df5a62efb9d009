--[[
  claimAdmissions: the gift consumer takes admissions of ONE pending bucket
  before its database transaction (step D); each pending → claimed. One call
  per bucket of a batch instead of one per send. From then on the sender's
  cancel (refundDebit with onlyPending) is refused, so a send the consumer is
  about to debit can no longer be answered 503 by its sender.

  Input:
    KEYS[1] pending index   <ns>:{w:<b>}:pending — names the bucket's slot;
                            not touched
    ARGV[i] admission hash  <ns>:{w:<b>}:adm:<userId>:<admissionId>

  The admission hashes travel in ARGV (their number varies, and ioredis
  routes a variable key count by its first argument): they carry the
  bucket's hash tag, so they live in KEYS[1]'s slot.

  Output: an array with a state per admission, in order:
    "claimed"               it was pending or already claimed (a redelivery or
                            a re-drive of a claimed admission whose consumer
                            died: claiming again is a no-op)
    "settled" | "refunded"  already finished; nothing changed
    ""                      unknown or expired

  A claimed admission keeps everything a pending one has — amount, wallet
  generation, payload, its pending-index entry and its expiry — so the re-drive
  sweeper still re-publishes it if the claiming consumer dies, and settle or
  refund finish it exactly as from pending.
]]
local states = {}
for i = 1, #ARGV do
  local state = redis.call("HGET", ARGV[i], "s")
  if state == "pending" then
    redis.call("HSET", ARGV[i], "s", "claimed")
    state = "claimed"
  end
  states[i] = state or ""
end
return states
