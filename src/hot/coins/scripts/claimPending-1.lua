--[[
  claimPending: the re-drive sweeper takes the pending-index entries of one
  bucket that have waited since `cutoffMs` or longer, and bumps each one's
  score to `nowMs`, so each is handed out at most once per re-drive period.

  Input:
    KEYS[1] pending index   <ns>:{w:<b>}:pending

    ARGV[1] cutoffMs        entries with score <= this are stale
    ARGV[2] nowMs           their new score
    ARGV[3] limit           positive integer: at most this many per call

  Output:
    { member, ... }         the claimed members (<userId>:<admissionId>), oldest first
    {-99}                   bad argument (as the only element)
]]
local cutoff = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
if not cutoff or not now or not limit or limit <= 0 or limit % 1 ~= 0 then
  return {-99}
end
local members = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", cutoff, "LIMIT", 0, limit)
for _, m in ipairs(members) do
  redis.call("ZADD", KEYS[1], "XX", now, m)
end
return members
