--[[
  creditAvailable: after a credit of `amount` committed in the database and
  raised the account to `version` with `balance`, add it to `available` unless
  the loaded value already holds it; a missing wallet is loaded from that
  balance instead, so the user's next admission finds it (a recharge before
  a send makes the send warm).

  Input:
    KEYS[1] wallet hash     <ns>:{w:<b>}:wallet:<userId>

    ARGV[1] amount          positive integer
    ARGV[2] version         account version after the credit
    ARGV[3] markerTtlSec    how long a missing wallet remembers the version, and
                            how long a wallet loaded here lives unless debited
    ARGV[4] balance         non-negative integer: the balance after the credit;
                            "" = too old a read to load from (nothing loaded)
    ARGV[5] generation      a fresh unique id for the wallet it would load

  Output:
     1                      applied: version > load version, amount added
    -8                      already counted: version <= load version (the load
                            read a row that includes this credit); nothing added
    -4                      unloaded: no wallet, and either a marker (the
                            wallet was loaded before and dropped: debits may
                            have reached the database since this credit read
                            its row, and nothing here would show them) or no
                            balance given; nothing loaded, the marker keeps
                            the newest version
     3                      loaded: no wallet and no marker (never loaded, or
                            expired without a debit); loaded from `balance` at `version`
                            (lv = cv = version), expiring after markerTtlSec
                            unless admitDebit-4.lua debits it first
    -99                     bad argument

  Credits are applied against the load version, not the last credit's, so
  credits arriving out of order are each counted once. A load here is the
  same as loadAvailable-1.lua's with the credit's own read of the row.
]]
local amount = tonumber(ARGV[1])
local version = tonumber(ARGV[2])
local markerTtl = tonumber(ARGV[3])
local balance = tonumber(ARGV[4])
if not amount or amount <= 0 or amount % 1 ~= 0 or not version or version < 0 or version % 1 ~= 0
    or not markerTtl or markerTtl <= 0 or markerTtl % 1 ~= 0
    or (ARGV[4] ~= "" and (not balance or balance < 0 or balance % 1 ~= 0)) or ARGV[5] == "" then
  return -99
end

local w = redis.call("HMGET", KEYS[1], "a", "lv", "cv")
if not w[3] or tonumber(w[3]) < version then
  redis.call("HSET", KEYS[1], "cv", ARGV[2])
end
if not w[1] then
  redis.call("EXPIRE", KEYS[1], ARGV[3])
  if ARGV[4] == "" or w[3] then
    return -4
  end
  redis.call("HSET", KEYS[1], "a", ARGV[4], "lv", ARGV[2], "g", ARGV[5])
  return 3
end
if version > tonumber(w[2]) then
  redis.call("HINCRBY", KEYS[1], "a", ARGV[1])
  return 1
end
return -8
