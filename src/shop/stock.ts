// The flash sale's stock, between the database (the truth) and the
// hot store's admission front (src/hot/stock/port.ts, whose header explains
// reservations and generations). Crash windows: docs/commerce.md.
//
//   warm(sku)       available = total − units of PREPARE_PAY/HAS_PAY lines,
//                   read in one transaction, loaded only when absent, under
//                   the SKU's 1 s lock (an admin total change takes it too,
//                   so a load never misses a change nor counts it twice)
//   reserveAll      every line of an order SKU by SKU (SKUs of one order may
//                   sit on different cluster shards), idempotent by order id;
//                   a refused line releases what the earlier ones took
//   release/settle  an order's lines back (cancelled) or sold for good (paid)
//   setTotal        the admin's total: database, then the delta on a loaded
//                   sale, under the same lock
//
// Sold-out: a reserve that takes the last unit, or finds none, sets a
// process-local flag, so the rest of a rush is answered OUT_OF_STOCK before
// an order id is made and without a hot-store round trip. Anything that gives
// units back drops the flag in every process through the cache bus; a reserve
// whose answer crossed such a drop sets no flag (its 0 may predate the units
// that came back); the flag also lapses after SOLD_OUT_FLAG_MS in case a drop
// is lost (the bus is at most once).
import { withLock, type LockPolicy } from "../hot/guards/with-lock.ts";
import type { Hot } from "../hot/index.ts";
import type { CacheBus } from "../lib/cache-bus.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { SkuCatalogue } from "./catalogue.ts";
import type { OrdersRepo } from "./orders-repo.ts";
import type { StockPush } from "./stock-push.ts";

export const SOLD_OUT_FLAG_MS = 1000;
const LOCK_TTL_MS = 1000;
const LOCK_ATTEMPTS = 40;
const LOAD_ATTEMPTS = 3;

export interface ReserveLine {
  skuId: number;
  count: number;
  limitPerUser: number;
}

export type ReserveAllResult = { ok: true } | { ok: false; short: number[]; limit: number[] };

export function createShopStock(deps: { hot: Hot; repo: OrdersRepo; skus: SkuCatalogue; cacheBus: CacheBus; pushes: StockPush; log: Logger }) {
  const { hot, repo, skus, cacheBus, pushes, log } = deps;
  const soldOut = new Map<number, number>();
  /** Drops seen so far: a reserve sets the flag only when none came while it was in flight. */
  let drops = 0;
  cacheBus.on("shop-sold-out", (key) => {
    drops += 1;
    soldOut.delete(Number(key));
  });

  const isSoldOut = (skuId: number) => (soldOut.get(skuId) ?? 0) > Date.now();
  /** A reserve that began when `dropsAtStart` drops were seen answered 0 units left. */
  const noneLeft = (skuId: number, dropsAtStart: number) => {
    if (drops === dropsAtStart) soldOut.set(skuId, Date.now() + SOLD_OUT_FLAG_MS);
  };

  const skuLock: LockPolicy = {
    ttlMs: LOCK_TTL_MS,
    attempts: LOCK_ATTEMPTS,
    pauseMs: (attempt) => 5 + attempt * 5,
    busy: () => new AppError("UNAVAILABLE", "the SKU's stock is busy, retry shortly"),
  };
  /** Runs `fn` holding the SKU's 1 s stock lock. */
  const withSkuLock = <T>(skuId: number, fn: () => Promise<T>) => withLock(hot.guards, `stock-load:${skuId}`, skuLock, fn);

  /** Units came back: drop sold-out flags everywhere and tell the room. */
  async function unitsBack(skuId: number, available: number, roomId?: number): Promise<void> {
    if (roomId !== undefined) pushes.changed(roomId, skuId, available);
    if (available > 0) await cacheBus.invalidate("shop-sold-out", String(skuId));
  }

  /** Loads the SKU's stock into the hot store unless present; answers the hot available. */
  async function warm(skuId: number, roomId?: number): Promise<number> {
    await withSkuLock(skuId, async () => {
      if ((await hot.stock.available(skuId)) !== null) return;
      const snapshot = await repo.stockSnapshot(skuId);
      if ((await hot.stock.load(snapshot)) === "loaded") log.info("stock warmed", { skuId, available: snapshot.available });
    });
    const available = (await hot.stock.available(skuId)) ?? 0;
    await unitsBack(skuId, available, roomId);
    return available;
  }

  async function releaseLines(orderId: string, skuIds: number[], roomId?: number): Promise<void> {
    for (const skuId of skuIds) {
      // Whatever the release answers, this process no longer knows the SKU sold out.
      soldOut.delete(skuId);
      const r = await hot.stock.release(skuId, orderId);
      if (r.kind === "released") await unitsBack(skuId, r.available, roomId);
    }
  }

  return {
    warm,
    isSoldOut,

    /** Hot available, warming the SKU on first use. */
    async available(skuId: number): Promise<number> {
      return (await hot.stock.available(skuId)) ?? warm(skuId);
    },

    /** Hot available when loaded (a read that loads nothing), else null. */
    loadedAvailable: (skuId: number) => hot.stock.available(skuId),

    /** Of `skuIds`, those flagged sold out in this process (an order of any of them is refused without a round trip). */
    flaggedSoldOut: (skuIds: number[]) => skuIds.filter(isSoldOut),

    /**
     * Reserves every line for the order, all or nothing, SKU by SKU in id
     * order, loading a SKU on first use. (The caller checks the sold-out
     * flags first: flaggedSoldOut.)
     */
    async reserveAll(orderId: string, userId: number, lines: ReserveLine[], roomId: number): Promise<ReserveAllResult> {
      const taken: number[] = [];
      const sorted = [...lines].sort((a, b) => a.skuId - b.skuId);
      for (const line of sorted) {
        const dropsAtStart = drops;
        let r = await hot.stock.reserve({ skuId: line.skuId, orderId, userId, count: line.count, limitPerUser: line.limitPerUser, nowMs: Date.now() });
        for (let attempt = 0; r.kind === "unloaded" && attempt < LOAD_ATTEMPTS; attempt++) {
          await warm(line.skuId, roomId);
          r = await hot.stock.reserve({ skuId: line.skuId, orderId, userId, count: line.count, limitPerUser: line.limitPerUser, nowMs: Date.now() });
        }
        if (r.kind === "reserved" || r.kind === "duplicate") {
          taken.push(line.skuId);
          if (r.kind === "reserved") {
            pushes.changed(roomId, line.skuId, r.available);
            if (r.available === 0) noneLeft(line.skuId, dropsAtStart);
          }
          continue;
        }
        await releaseLines(orderId, taken, roomId);
        if (r.kind === "unloaded") throw new AppError("UNAVAILABLE", `stock of sku ${line.skuId} could not be loaded, retry shortly`);
        if (r.kind === "limit") return { ok: false, short: [], limit: [line.skuId] };
        if (r.available === 0) noneLeft(line.skuId, dropsAtStart);
        return { ok: false, short: [line.skuId], limit: [] };
      }
      return { ok: true };
    },

    /** The order's units back, exactly once per SKU (an order that ended cancelled, or never landed). */
    releaseLines,

    /** Order ids reserved on the SKU before `beforeMs` whose order is not known to have landed. */
    unlanded: (skuId: number, beforeMs: number, limit: number) => hot.stock.unlanded(skuId, beforeMs, limit),

    /** The order's rows exist: its reservations leave the reconciler's list. */
    async landed(orderId: string, skuIds: number[]): Promise<void> {
      await Promise.all(skuIds.map((skuId) => hot.stock.landed(skuId, [orderId])));
    },

    /** The order is paid: its units are sold for good. */
    async settle(orderId: string, skuIds: number[]): Promise<void> {
      for (const skuId of skuIds) await hot.stock.settle(skuId, orderId);
    },

    /**
     * The database refused units the hot store had admitted: the hot
     * available drifted above the truth (reservations lost with a flushed
     * hot store and landing after a rebuild). Drop it; the next use rebuilds.
     */
    async dropDrifted(skuIds: number[]): Promise<void> {
      for (const skuId of skuIds) {
        log.warn("hot stock above the database's count; dropping it for a rebuild", { skuId });
        await hot.stock.drop(skuId);
      }
    },

    /** Sets the SKU's total; a loaded sale moves by the difference, atomically. */
    async setTotal(skuId: number, total: number) {
      return withSkuLock(skuId, async () => {
        const r = await skus.setStock(skuId, total);
        const delta = r.total - r.previous;
        const available = delta === 0 ? await hot.stock.available(skuId) : await hot.stock.adjust(skuId, delta);
        if (available !== null) await unitsBack(skuId, available);
        return { skuId, total: r.total, stockNum: available ?? r.stockNum };
      });
    },
  };
}

export type ShopStock = ReturnType<typeof createShopStock>;
