// Process-local caches are dropped in every process when an admin changes
// what they hold: the writer publishes an invalidation on the hot store's
// bus and every process (the writer included) drops its copy on receipt.
// The writer also drops its own copy synchronously, so it never serves its
// own stale value.
import type { Bus, Unsubscribe } from "../hot/bus/port.ts";
import type { Logger } from "./logger.ts";

export type CacheName = "gifts" | "rooms" | "products" | "shop-skus" | "anchor-skus" | "shop-sold-out";

export interface CacheBus {
  /** Registers a local drop function for a cache. */
  on(cache: CacheName, drop: (key: string) => void): void;
  /** Drops locally now and tells every other process. */
  invalidate(cache: CacheName, key: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const CHANNEL = "cache-invalidate";

export function createCacheBus(bus: Bus, log: Logger): CacheBus {
  const handlers = new Map<CacheName, ((key: string) => void)[]>();
  let unsubscribe: Unsubscribe | null = null;
  const dropLocal = (cache: CacheName, key: string) => {
    for (const h of handlers.get(cache) ?? []) h(key);
  };
  return {
    on(cache, drop) {
      handlers.set(cache, [...(handlers.get(cache) ?? []), drop]);
    },
    async invalidate(cache, key) {
      dropLocal(cache, key);
      await bus.publish(CHANNEL, JSON.stringify({ cache, key }));
    },
    async start() {
      unsubscribe = await bus.subscribe(CHANNEL, (message) => {
        try {
          const { cache, key } = JSON.parse(message) as { cache: CacheName; key: string };
          dropLocal(cache, key);
        } catch (err) {
          log.warn("bad cache invalidation message", { err, message });
        }
      });
    },
    async stop() {
      await unsubscribe?.();
      unsubscribe = null;
    },
  };
}
