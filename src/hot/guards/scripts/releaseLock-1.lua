--[[
  releaseLock: compare-and-delete, so only the owner releases its lock (a
  holder whose TTL ran out cannot delete the next owner's lock).

  Input:
    KEYS[1] lock key        <ns>:{lock:<name>}

    ARGV[1] token           the owner token acquireLock returned

  Output:
     1                      released
    -9                      not owner: the lock is held under another token, or free
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1])
  return 1
end
return -9
