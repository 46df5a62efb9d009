// The hot store: fast, shared, rebuildable state beside the relational store,
// split by concern. Each concern is a folder with its port, its Redis adapter
// (Lua scripts in scripts/) and its in-process adapter side by side:
//   coins/   the wallet's admission front (only src/wallet/ calls it)
//   guards/  locks and rate limits
//   bus/     publish/subscribe across processes
//   stock/   the flash sale's stock front (only src/shop/ calls it)
//   cart/    carts per user per room
//   redis/   the shared Redis connection and script loading
// The profile picks the adapters: Redis (standalone or cluster) in `cluster`,
// in-process maps in `embedded`.
import type { Config } from "../config.ts";
import type { Logger } from "../lib/logger.ts";
import type { Bus } from "./bus/port.ts";
import { LocalBus } from "./bus/local.ts";
import { RedisBus, defineBusScripts } from "./bus/redis.ts";
import type { HotCoins } from "./coins/port.ts";
import { LocalCoins } from "./coins/local.ts";
import { RedisCoins, defineCoinScripts } from "./coins/redis.ts";
import type { HotCart } from "./cart/port.ts";
import { LocalCart } from "./cart/local.ts";
import { RedisCart, defineCartScripts } from "./cart/redis.ts";
import type { Guards } from "./guards/port.ts";
import { LocalGuards } from "./guards/local.ts";
import { RedisGuards, defineGuardScripts } from "./guards/redis.ts";
import { openRedis, type RedisOptions } from "./redis/connection.ts";
import type { HotStock } from "./stock/port.ts";
import { LocalStock } from "./stock/local.ts";
import { RedisStock, defineStockScripts } from "./stock/redis.ts";

export interface Hot {
  readonly kind: "redis" | "local";
  readonly coins: HotCoins;
  readonly guards: Guards;
  readonly bus: Bus;
  readonly stock: HotStock;
  readonly cart: HotCart;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What the coins need to know beyond the connection. */
export interface HotOptions {
  /** How long a settled or refunded admission answers retries (OVATION_SEND_RETRY_WINDOW_SEC). */
  retryWindowSec?: number;
}

export async function createHot(config: Config, logger: Logger): Promise<Hot> {
  const options: HotOptions = { retryWindowSec: config.sendRetryWindowSec };
  if (config.profile === "embedded") return createLocalHot(options);
  return createRedisHot({
    url: config.redisUrl,
    clusterNodes: config.redisCluster,
    namespace: config.namespace,
    onConnectionError: (err, connection) => logger.warn("redis connection error; reconnecting", { connection, err: err.message }),
    ...options,
  });
}

const SWEEP_INTERVAL_MS = 10_000;

/** The in-process hot store; one per deployment, shared by its "processes" in tests. */
export function createLocalHot(options: HotOptions = {}): Hot {
  const coins = new LocalCoins(options);
  const guards = new LocalGuards();
  const bus = new LocalBus();
  const stock = new LocalStock();
  const cart = new LocalCart();
  const adapters = [coins, guards, bus, stock, cart];
  let closed = false;
  const sweeper = setInterval(() => {
    for (const a of adapters) a.sweep();
  }, SWEEP_INTERVAL_MS);
  // The sweeper alone must not keep the process alive.
  sweeper.unref?.();
  return {
    kind: "local",
    coins,
    guards,
    bus,
    stock,
    cart,
    async ping() {
      if (closed) throw new Error("hot store: closed");
    },
    async close() {
      closed = true;
      clearInterval(sweeper);
      for (const a of adapters) a.close();
    },
  };
}

/** Connects (failing when Redis is unreachable) and registers every concern's scripts. */
export async function createRedisHot(opts: RedisOptions & HotOptions): Promise<Hot> {
  const conn = await openRedis(opts, (client) => {
    defineCoinScripts(client);
    defineGuardScripts(client);
    defineBusScripts(client);
    defineStockScripts(client);
    defineCartScripts(client);
  });
  const bus = new RedisBus(conn);
  return {
    kind: "redis",
    coins: new RedisCoins(conn, opts),
    guards: new RedisGuards(conn),
    bus,
    stock: new RedisStock(conn),
    cart: new RedisCart(conn),
    ping: () => conn.ping(),
    async close() {
      await Promise.all([bus.close(), conn.close()]);
    },
  };
}
