// Picks the hot-store adapter for the profile: Redis (standalone or cluster)
// in `cluster`, in-process maps in `embedded`.
import type { Config } from "../config.ts";
import type { Logger } from "../lib/logger.ts";
import { createLocalHotStore } from "./local.ts";
import type { HotStore } from "./port.ts";
import { createRedisHotStore } from "./redis/index.ts";

export type { HotStore } from "./port.ts";

export async function createHotStore(config: Config, log: Logger): Promise<HotStore> {
  if (config.profile === "embedded") return createLocalHotStore();
  return createRedisHotStore({
    url: config.redisUrl,
    clusterNodes: config.redisCluster,
    namespace: config.namespace,
    onConnectionError: (err, connection) => log.warn("redis connection error; reconnecting", { connection, err: err.message }),
  });
}
