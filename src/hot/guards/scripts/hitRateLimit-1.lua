--[[
  hitRateLimit: count one hit in a fixed window that starts at the window's
  first hit.

  Input:
    KEYS[1] counter key     <ns>:{rl:<key>}

    ARGV[1] windowMs        positive integer

  Output:
    { count, pttlMs }       hits in the current window (this one included) and
                            milliseconds until the window resets
    {-99}                   bad argument

  Every hit counts, allowed or not; the caller compares count with its limit.
  A counter without a TTL (impossible unless written by hand) gets one, so a
  window can never last forever.
]]
local windowMs = tonumber(ARGV[1])
if not windowMs or windowMs <= 0 or windowMs % 1 ~= 0 then
  return {-99}
end
local count = redis.call("INCR", KEYS[1])
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
  ttl = windowMs
end
return {count, ttl}
