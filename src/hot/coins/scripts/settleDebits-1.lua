--[[
  settleDebits: the debits of admissions of ONE pending bucket are now in the
  database; each pending or claimed admission → settled. One call per bucket
  of a consumer batch instead of one per send.

  Input:
    KEYS[1]       pending index   <ns>:{w:<b>}:pending

    ARGV[1]       retryWindowSec  positive integer: how long a settled record
                                  answers retries with its first outcome
    ARGV[2i]      admission hash  <ns>:{w:<b>}:adm:<userId>:<admissionId>
    ARGV[2i+1]    member          <userId>:<admissionId> (its index entry)

  The admission hashes travel in ARGV (their number varies, and ioredis
  routes a variable key count by its first argument): they carry the
  bucket's hash tag, so they live in KEYS[1]'s slot (the adapter builds them
  with coinKeys and groups by bucket).

  Output: an array with a code per admission, in order:
     1                      settled
    -5                      neither pending nor claimed (settled, refunded,
                            expired or unknown)
  or -99 (not an array)     bad argument

  Each pending-index entry is removed in every case (an entry whose admission
  expired is garbage). A settled record keeps only {s, f} (amount,
  generation and payload are dropped) and lives `retryWindowSec`.
]]
local window = tonumber(ARGV[1])
if not window or window <= 0 or window % 1 ~= 0 or #ARGV % 2 ~= 1 then
  return -99
end
local codes = {}
for i = 2, #ARGV, 2 do
  local admission = ARGV[i]
  redis.call("ZREM", KEYS[1], ARGV[i + 1])
  local state = redis.call("HGET", admission, "s")
  if state ~= "pending" and state ~= "claimed" then
    codes[#codes + 1] = -5
  else
    redis.call("HSET", admission, "s", "settled")
    redis.call("HDEL", admission, "m", "g", "p")
    redis.call("EXPIRE", admission, window)
    codes[#codes + 1] = 1
  end
end
return codes
