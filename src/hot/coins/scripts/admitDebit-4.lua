--[[
  admitDebit: count the caller's rate limit, then debit `amount` from a user's
  hot `available` if it suffices, idempotent on the admission id; a new
  admission keeps the event to re-publish and enters the pending index. With
  a load (ARGV[10..12]) a missing wallet is first loaded from the database
  balance the caller read, in the same call: a cold send is one round trip
  after its database read (loadAvailable-1.lua's rules).

  Input (every key carries the bucket hash tag {w:<userId mod 256>}, so the
  script touches one cluster slot):
    KEYS[1] wallet hash     <ns>:{w:<b>}:wallet:<userId>
    KEYS[2] admission hash  <ns>:{w:<b>}:adm:<userId>:<admissionId>
    KEYS[3] rate counter    <ns>:{w:<b>}:rl:<userId>:<limitName>
    KEYS[4] pending index   <ns>:{w:<b>}:pending   (zset, member <userId>:<admissionId>, score = ms)

    ARGV[1] amount          positive integer (decimal string)
    ARGV[2] fingerprint     what the request was (same id + other body = conflict)
    ARGV[3] payload         the event to re-publish while the admission is pending;
                            "" = none: the admission stays out of the pending
                            index (its caller finishes it within its request)
    ARGV[4] pendingTtlSec   positive integer: safety expiry of a pending admission
    ARGV[5] member          <userId>:<admissionId>, the pending-index member
    ARGV[6] nowMs           the caller's clock, the pending-index score
    ARGV[7] limit           hits allowed per window (ignored when windowMs is 0)
    ARGV[8] windowMs        rate-limit window; 0 = no rate limit
    ARGV[9] deadlineMs      the caller gives up by then (its clock, Unix ms);
                            0 = no deadline
    ARGV[10] loadBalance    "" = no load; else the non-negative balance the
                            caller read from the database, used only when no
                            wallet is loaded
    ARGV[11] loadVersion    the account version that balance was read at
    ARGV[12] generation     a fresh unique id for the wallet it would load

  Output:
    { 1, available }        admitted; `available` after the debit
    {-1, available, known}  insufficient; nothing changed. known = the newest
                            account version the wallet reflects: max(lv, cv)
    {-2, state, payload}    duplicate: the id was seen with this fingerprint;
                            state is pending | claimed | settled | refunded;
                            payload is the stored event while pending or
                            claimed (nil after); nothing changed
    {-3}                    conflict: the id was seen with another fingerprint
    {-4}                    unloaded: no wallet and no load given; read the
                            account from the database, retry with a load
    {-7}                    stale: no wallet, and a credit newer than
                            loadVersion committed meanwhile (cv > loadVersion);
                            read again; nothing changed (the rate limit counted)
    {-9, pttlMs}            rate limited: over `limit` hits in the window; nothing
                            else changed; pttlMs until the window resets
    {-10}                   too late: Redis's clock is past the deadline (the
                            script waited in a stalled Redis or connection and
                            its caller already answered 503); nothing changed
    {-99}                   bad argument

  Every call counts against the rate limit (duplicates too), as a request
  would. A wallet with an expiry (loaded by a credit, creditAvailable-1.lua)
  loses it at its first debit; one loaded here has none (as loadAvailable). Wallet fields: a = available, lv = version the load read, g =
  generation (a new one per load), cv = highest credit version seen.
  Admission fields while pending: s = state, m = amount, f = fingerprint, g =
  wallet generation the debit was taken from (refundDebit-3.lua needs it), p =
  payload. settleDebit/refundDebit shrink it to {s, f}.
  The admission is checked before the wallet so a retry finds its first
  outcome even after the wallet was dropped. An insufficient attempt is not
  remembered: a retry after a top-up may succeed.
]]
local amount = tonumber(ARGV[1])
local ttl = tonumber(ARGV[4])
local now = tonumber(ARGV[6])
local limit = tonumber(ARGV[7])
local windowMs = tonumber(ARGV[8])
local deadline = tonumber(ARGV[9])
if not deadline or not amount or amount <= 0 or amount % 1 ~= 0 or not ttl or ttl <= 0 or ttl % 1 ~= 0
    or not now or not limit or limit < 0 or not windowMs or windowMs < 0 or windowMs % 1 ~= 0 then
  return {-99}
end
local loadBalance, loadVersion
if ARGV[10] and ARGV[10] ~= "" then
  loadBalance = tonumber(ARGV[10])
  loadVersion = tonumber(ARGV[11])
  if not loadBalance or loadBalance < 0 or loadBalance % 1 ~= 0 or not loadVersion or loadVersion < 0
      or loadVersion % 1 ~= 0 or ARGV[12] == "" then
    return {-99}
  end
end

if deadline > 0 then
  local t = redis.call("TIME")
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > deadline then
    return {-10}
  end
end

if windowMs > 0 then
  local count = redis.call("INCR", KEYS[3])
  local pttl = redis.call("PTTL", KEYS[3])
  if pttl < 0 then
    redis.call("PEXPIRE", KEYS[3], windowMs)
    pttl = windowMs
  end
  if count > limit then
    return {-9, pttl}
  end
end

local adm = redis.call("HMGET", KEYS[2], "s", "f", "p")
if adm[1] then
  if adm[2] == ARGV[2] then
    return {-2, adm[1], adm[3]}
  end
  return {-3}
end

local w = redis.call("HMGET", KEYS[1], "a", "g", "lv", "cv")
if not w[1] then
  if not loadBalance then
    return {-4}
  end
  if w[4] and tonumber(w[4]) > loadVersion then
    return {-7}
  end
  redis.call("HSET", KEYS[1], "a", ARGV[10], "lv", ARGV[11], "g", ARGV[12])
  redis.call("PERSIST", KEYS[1])
  w = {ARGV[10], ARGV[12], ARGV[11], w[4]}
end
local available = tonumber(w[1])
if available < amount then
  return {-1, available, math.max(tonumber(w[3]) or 0, tonumber(w[4]) or 0)}
end

available = redis.call("HINCRBY", KEYS[1], "a", "-" .. ARGV[1])
redis.call("PERSIST", KEYS[1])
redis.call("HSET", KEYS[2], "s", "pending", "m", ARGV[1], "f", ARGV[2], "g", w[2])
redis.call("EXPIRE", KEYS[2], ARGV[4])
if ARGV[3] ~= "" then
  redis.call("HSET", KEYS[2], "p", ARGV[3])
  redis.call("ZADD", KEYS[4], ARGV[6], ARGV[5])
end
return {1, available}
