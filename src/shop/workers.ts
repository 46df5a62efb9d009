// What runs beside the shop's requests: round functions (each one bounded
// pass) driven by workers (src/lib/worker.ts):
//   sweeper     cancels expired PREPARE_PAY orders (reason timeout). The
//               deadline is the order's expire_at column, so timers survive
//               restarts. MySQL: every process sweeps, claiming rows with
//               FOR UPDATE SKIP LOCKED; SQLite: one leader (a lease).
//   reconciler  releases reservations whose order never landed (the process
//               died between reserve and insert) once they are older than
//               RECONCILE_GRACE_MS, and re-releases the lines of recently
//               cancelled orders (a process that died between the cancel's
//               commit and its release); both are idempotent by order id.
//   stock sync  writes each loaded SKU's hot available to
//               sku_stock.synced_available every OVATION_STOCK_SYNC_SEC, one
//               process at a time (a lease).
import type { Guards } from "../hot/guards/port.ts";
import type { Logger } from "../lib/logger.ts";
import { createWorker, type LeaseLock, type Worker } from "../lib/worker.ts";
import type { Store } from "../store/store.ts";
import type { Orders } from "./orders.ts";
import type { OrdersRepo } from "./orders-repo.ts";
import type { ShopStock } from "./stock.ts";
import { ShopOrderStatus } from "./types.ts";

/** A reservation this old without an order row is abandoned: no prepare takes this long. */
export const RECONCILE_GRACE_MS = 30_000;
/** Cancelled orders whose deadline is this recent get their lines released again. */
export const RECENT_CANCEL_WINDOW_MS = 10 * 60_000;
const SWEEP_IDLE_MS = 500;
const RECONCILE_IDLE_MS = 5_000;
const RECONCILE_BATCH = 200;

export function createShopRounds(deps: { repo: OrdersRepo; stock: ShopStock; orders: Orders; log: Logger }) {
  const { repo, stock, orders, log } = deps;
  return {
    sweep: (now?: number) => orders.sweepExpired(now),

    /** One reconciler pass as of `now`; answers how many reservations it released. */
    async reconcile(now = Date.now(), graceMs = RECONCILE_GRACE_MS): Promise<number> {
      let released = 0;
      for (const skuId of await repo.stockedSkuIds()) {
        const ids = await stock.unlanded(skuId, now - graceMs, RECONCILE_BATCH);
        if (ids.length === 0) continue;
        const statuses = await repo.statuses(ids);
        for (const orderId of ids) {
          const status = statuses.get(orderId);
          if (status === undefined || status === ShopOrderStatus.CANCEL) {
            await stock.releaseLines(orderId, [skuId]);
            released++;
            log.warn("released a reservation whose order never landed", { orderId, skuId });
          } else {
            await stock.landed(orderId, [skuId]);
          }
        }
      }
      for (const line of await repo.recentlyCancelledLines(now - RECENT_CANCEL_WINDOW_MS, 10_000)) {
        await stock.releaseLines(line.orderId, [line.skuId]);
      }
      return released;
    },

    /** Writes every loaded SKU's hot available to the database. */
    async syncStock(now = Date.now()): Promise<number> {
      let written = 0;
      for (const skuId of await repo.stockedSkuIds()) {
        const available = await stock.loadedAvailable(skuId);
        if (available === null) continue;
        await repo.writeSyncedAvailable(skuId, available, now);
        written++;
      }
      return written;
    },
  };
}

export type ShopRounds = ReturnType<typeof createShopRounds>;

/** The hot store's guards as a worker lease's lock. */
function guardsLock(guards: Guards): LeaseLock {
  return { acquire: (name, ttlMs) => guards.acquireLock(name, ttlMs), release: (name, token) => guards.releaseLock(name, token) };
}

export function createShopWorkers(deps: { rounds: ShopRounds; store: Store; guards: Guards; stockSyncSec: number; logger: Logger }): Worker[] {
  const { rounds, store, logger } = deps;
  const lock = guardsLock(deps.guards);
  const syncMs = deps.stockSyncSec * 1000;
  return [
    createWorker({
      name: "shop-order-sweeper",
      round: () => rounds.sweep(),
      logger,
      idleMs: SWEEP_IDLE_MS,
      // MySQL: every process sweeps, SKIP LOCKED keeps them apart; SQLite: one leader.
      ...(store.dialect === "sqlite" && { lease: { lock, ttlMs: 3 * SWEEP_IDLE_MS } }),
    }),
    createWorker({ name: "shop-reconciler", round: async () => (await rounds.reconcile(), false), logger, idleMs: RECONCILE_IDLE_MS, lease: { lock, ttlMs: 3 * RECONCILE_IDLE_MS } }),
    createWorker({ name: "stock-sync", round: async () => (await rounds.syncStock(), false), logger, idleMs: syncMs, lease: { lock, ttlMs: 3 * syncMs } }),
  ];
}
