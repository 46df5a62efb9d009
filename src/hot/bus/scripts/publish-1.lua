--[[
  publish: PUBLISH a message, run on the node that owns KEYS[1].

  Input:
    KEYS[1] route key       <ns>:{ps:<channel>}; never read or written, it only
                            pins every publish of a channel to one cluster node
    ARGV[1] channel         <ns>:ps:<channel>
    ARGV[2] message

  Output:
    n                       subscribers reached on this node's view of the
                            cluster (Redis counts local subscribers only)

  Why a script: a plain PUBLISH carries no key, so a cluster client sends it to
  any node; two publishes of one channel can then cross the cluster bus by
  different links and arrive out of order (a stock count going backwards).
  Routing by a key keeps one channel's messages from one process in order.
]]
return redis.call("PUBLISH", ARGV[1], ARGV[2])
