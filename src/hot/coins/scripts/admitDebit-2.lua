--[[
  admitDebit: debit `amount` from a user's hot `available` if it suffices,
  idempotent on the admission id.

  Input:
    KEYS[1] wallet hash     <ns>:{u:<userId>}:wallet
    KEYS[2] admission hash  <ns>:{u:<userId>}:adm:<admissionId>

    ARGV[1] amount          positive integer (decimal string)
    ARGV[2] fingerprint     what the request was (same id + other body = conflict)
    ARGV[3] ttlSec          positive integer: how long the admission is remembered

  Output:
    { 1, available }        admitted; `available` after the debit
    {-1, available, known}  insufficient; nothing changed. known = the newest
                            account version the wallet reflects: max(lv, cv)
    {-2, state}             duplicate: the id was seen with this fingerprint;
                            state is pending | settled | refunded; nothing changed
    {-3}                    conflict: the id was seen with another fingerprint
    {-4}                    unloaded: no wallet; load it from the database, retry
    {-99}                   bad argument

  Wallet fields: a = available, lv = version the load read, g = generation
  (a new one per load), cv = highest credit version seen.
  Admission fields: s = state, m = amount, f = fingerprint, g = wallet
  generation the debit was taken from (refundDebit-2.lua needs it).
  The admission is checked first so a retry finds its first outcome even after
  the wallet was dropped. An insufficient attempt is not remembered: a retry
  after a top-up may succeed.
]]
local amount = tonumber(ARGV[1])
local ttl = tonumber(ARGV[3])
if not amount or amount <= 0 or amount % 1 ~= 0 or not ttl or ttl <= 0 or ttl % 1 ~= 0 then
  return {-99}
end

local adm = redis.call("HMGET", KEYS[2], "s", "f")
if adm[1] then
  if adm[2] == ARGV[2] then
    return {-2, adm[1]}
  end
  return {-3}
end

local w = redis.call("HMGET", KEYS[1], "a", "g", "lv", "cv")
if not w[1] then
  return {-4}
end
local available = tonumber(w[1])
if available < amount then
  return {-1, available, math.max(tonumber(w[3]) or 0, tonumber(w[4]) or 0)}
end

available = redis.call("HINCRBY", KEYS[1], "a", "-" .. ARGV[1])
redis.call("HSET", KEYS[2], "s", "pending", "m", ARGV[1], "f", ARGV[2], "g", w[2])
redis.call("EXPIRE", KEYS[2], ARGV[3])
return {1, available}
