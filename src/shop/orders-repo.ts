// Every SQL statement of shop orders and of stock as the orders hold it, on
// either dialect. New orders are group-committed (insertOrder). Order state changes are conditional updates (WHERE status =
// expected) of the order and its lines in one transaction, so concurrent pay,
// cancel and timeout have exactly one winner.
import { sql, type Selectable } from "kysely";
import { groupCommit, runAloneOnFailure } from "../lib/group-commit.ts";
import type { ShopOrderTable } from "../store/schema.ts";
import type { Db, Store } from "../store/store.ts";
import { affected } from "../store/store.ts";
import { ShopOrderStatus, STOCK_HOLDING_STATUSES } from "./types.ts";

export type CancelReason = "user" | "timeout";

/** The most orders one group commit inserts (bounds the statements' placeholders). */
export const ORDER_BATCH_MAX = 200;

export interface OrderLine {
  skuId: number;
  count: number;
  /** Unit price captured when the order was prepared. */
  price: number;
}

export interface ShopOrder {
  orderId: string;
  userId: number;
  roomId: number;
  anchorId: number;
  requestId: string | null;
  status: number;
  cancelReason: CancelReason | null;
  totalPrice: number;
  address: { name: string; phone: string; detail: string };
  expireAt: number;
  payTime: number | null;
  createTime: number;
  items: OrderLine[];
}

export type NewOrder = Omit<ShopOrder, "status" | "cancelReason" | "payTime"> & {
  /** Per-user limit of each line's SKU (0 = none), checked again in the insert. */
  limits: Map<number, number>;
};

export type InsertOutcome =
  | { ok: true }
  /** The database's own check refused the order: `short` SKUs would go beyond stock, `limit` SKUs beyond the user's limit. */
  | { ok: false; short: number[]; limit: number[] };

type OrderRow = Selectable<ShopOrderTable>;

function toOrder(r: OrderRow, items: OrderLine[]): ShopOrder {
  return {
    orderId: r.order_id,
    userId: Number(r.user_id),
    roomId: Number(r.room_id),
    anchorId: Number(r.anchor_id),
    requestId: r.request_id,
    status: Number(r.status),
    cancelReason: (r.cancel_reason as CancelReason | null) ?? null,
    totalPrice: Number(r.total_price),
    address: { name: r.address_name, phone: r.address_phone, detail: r.address_detail },
    expireAt: Number(r.expire_at),
    payTime: r.pay_time === null ? null : Number(r.pay_time),
    createTime: Number(r.create_time),
    items,
  };
}

export function createOrdersRepo(store: Store) {
  const db = store.db;
  const mysql = store.dialect === "mysql";

  async function withItems(q: Db, rows: OrderRow[]): Promise<ShopOrder[]> {
    if (rows.length === 0) return [];
    const items = await q
      .selectFrom("shop_order_item")
      .select(["order_id", "sku_id", "count", "price"])
      .where(
        "order_id",
        "in",
        rows.map((r) => r.order_id),
      )
      .orderBy("sku_id")
      .execute();
    const byOrder = new Map<string, OrderLine[]>();
    for (const i of items) {
      const list = byOrder.get(i.order_id) ?? [];
      list.push({ skuId: Number(i.sku_id), count: Number(i.count), price: Number(i.price) });
      byOrder.set(i.order_id, list);
    }
    return rows.map((r) => toOrder(r, byOrder.get(r.order_id) ?? []));
  }

  /**
   * Units held per SKU, and per (user, SKU) for `userIds`, in
   * PREPARE_PAY/HAS_PAY lines: two sums, each read from a covering index
   * (idx_shop_order_item_sku, idx_shop_order_item_user_sku).
   */
  async function held(q: Db, skuIds: number[], userIds: number[]) {
    const holding = q
      .selectFrom("shop_order_item")
      .where("sku_id", "in", skuIds)
      .where("status", "in", [...STOCK_HOLDING_STATUSES]);
    const skuRows = await holding.select(["sku_id", (eb) => eb.fn.sum<number | string>("count").as("units")]).groupBy("sku_id").execute();
    const userRows = await holding
      .where("user_id", "in", userIds)
      .select(["user_id", "sku_id", (eb) => eb.fn.sum<number | string>("count").as("units")])
      .groupBy(["user_id", "sku_id"])
      .execute();
    const bySku = new Map(skuRows.map((r) => [Number(r.sku_id), Number(r.units)]));
    const byUser = new Map(userRows.map((r) => [`${r.user_id}:${r.sku_id}`, Number(r.units)]));
    return { bySku, byUser };
  }

  /**
   * One transaction for a batch of orders, checked in arrival order against
   * stock and limits as the database holds them plus the batch's earlier
   * orders; the accepted ones inserted with one multi-row insert per table.
   */
  async function insertBatch(orders: NewOrder[]): Promise<InsertOutcome[]> {
    return store.transact(async (trx) => {
      const skuIds = [...new Set(orders.flatMap((o) => o.items.map((i) => i.skuId)))].sort((a, b) => a - b);
      // Locked in id order (MySQL), so orders of one SKU check one batch at a time; SQLite has one writer.
      let lock = trx.selectFrom("sku_stock").select(["sku_id", "stock_num"]).where("sku_id", "in", skuIds).orderBy("sku_id");
      if (mysql) lock = lock.forUpdate();
      const totals = new Map((await lock.execute()).map((r) => [Number(r.sku_id), Number(r.stock_num)]));
      const h = await held(trx, skuIds, [...new Set(orders.map((o) => o.userId))]);
      const userHeld = (o: NewOrder, skuId: number) => h.byUser.get(`${o.userId}:${skuId}`) ?? 0;
      const outcomes: InsertOutcome[] = [];
      const accepted: NewOrder[] = [];
      for (const o of orders) {
        const short = o.items.filter((i) => (h.bySku.get(i.skuId) ?? 0) + i.count > (totals.get(i.skuId) ?? 0)).map((i) => i.skuId);
        const limit = o.items
          .filter((i) => {
            const max = o.limits.get(i.skuId) ?? 0;
            return max > 0 && userHeld(o, i.skuId) + i.count > max;
          })
          .map((i) => i.skuId);
        if (short.length > 0 || limit.length > 0) {
          outcomes.push({ ok: false, short, limit });
          continue;
        }
        for (const i of o.items) {
          h.bySku.set(i.skuId, (h.bySku.get(i.skuId) ?? 0) + i.count);
          h.byUser.set(`${o.userId}:${i.skuId}`, userHeld(o, i.skuId) + i.count);
        }
        accepted.push(o);
        outcomes.push({ ok: true });
      }
      if (accepted.length === 0) return outcomes;
      await trx
        .insertInto("shop_order")
        .values(
          accepted.map((o) => ({
            order_id: o.orderId,
            user_id: o.userId,
            room_id: o.roomId,
            anchor_id: o.anchorId,
            request_id: o.requestId,
            status: ShopOrderStatus.PREPARE_PAY,
            cancel_reason: null,
            total_price: o.totalPrice,
            address_name: o.address.name,
            address_phone: o.address.phone,
            address_detail: o.address.detail,
            expire_at: o.expireAt,
            pay_time: null,
            create_time: o.createTime,
            update_time: o.createTime,
          })),
        )
        .execute();
      await trx
        .insertInto("shop_order_item")
        .values(accepted.flatMap((o) => o.items.map((i) => ({ order_id: o.orderId, user_id: o.userId, sku_id: i.skuId, count: i.count, price: i.price, status: ShopOrderStatus.PREPARE_PAY, create_time: o.createTime }))))
        .execute();
      return outcomes;
    });
  }

  /**
   * Group commit (src/lib/group-commit.ts): while one batch commits, the
   * orders arriving meanwhile wait and go together in the next. The first
   * batch starts a turn later, so the orders whose requests are already being
   * handled join it (on SQLite a batch of one would otherwise commit before
   * the next request is even read). A batch that fails (a request id another
   * order took, which would refuse every row of the multi-row insert) is
   * redone order by order, in arrival order so each checks stock after the
   * ones before it, and each caller gets its own outcome or error — all of
   * them once the last redo ended (a failed batch is rare: a request id used
   * twice at once; the answers wait for the whole redo, not each its own).
   */
  const inserts = groupCommit<NewOrder, InsertOutcome>(runAloneOnFailure(insertBatch, { inOrder: true }), { lingerMs: "next-turn", maxSize: ORDER_BATCH_MAX });

  /** PREPARE_PAY → CANCEL for those of `orderIds` still in it; answers the ones this call moved. */
  async function cancelInTx(trx: Db, orderIds: string[], reason: CancelReason, now: number): Promise<string[]> {
    const moved: string[] = [];
    for (const orderId of orderIds) {
      const res = await trx
        .updateTable("shop_order")
        .set({ status: ShopOrderStatus.CANCEL, cancel_reason: reason, update_time: now })
        .where("order_id", "=", orderId)
        .where("status", "=", ShopOrderStatus.PREPARE_PAY)
        .executeTakeFirst();
      if (affected(res) !== 1) continue;
      await trx.updateTable("shop_order_item").set({ status: ShopOrderStatus.CANCEL }).where("order_id", "=", orderId).execute();
      moved.push(orderId);
    }
    return moved;
  }

  return {
    cancelInTx,

    /**
     * Inserts the order and its lines, after the database's own check that no
     * line takes its SKU beyond stock or the user beyond a limit (the hot
     * store admits; this is the last word, so a hot store that drifted can
     * never make an oversell). Concurrent calls are group-committed: one
     * transaction, one multi-row insert per table, for the orders waiting
     * while the previous batch committed; each caller is answered after the
     * commit that holds its order. A request id already used by the user
     * rejects with the unique violation, as a single insert would.
     */
    insertOrder(o: NewOrder): Promise<InsertOutcome> {
      return inserts.submit(o);
    },

    /** Inserts what is queued, refuses what comes after; resolves when the last batch ended. */
    close: () => inserts.close(),

    async getOrder(orderId: string, q: Db = db): Promise<ShopOrder | null> {
      const r = await q.selectFrom("shop_order").selectAll().where("order_id", "=", orderId).executeTakeFirst();
      return r ? (await withItems(q, [r]))[0]! : null;
    },

    async getOrderByRequest(userId: number, requestId: string): Promise<ShopOrder | null> {
      const r = await db.selectFrom("shop_order").selectAll().where("user_id", "=", userId).where("request_id", "=", requestId).executeTakeFirst();
      return r ? (await withItems(db, [r]))[0]! : null;
    },

    /** The user's orders, newest first, optionally of one room and one status. */
    async listOrders(userId: number, f: { roomId?: number; status?: number; limit: number }): Promise<ShopOrder[]> {
      let q = db.selectFrom("shop_order").selectAll().where("user_id", "=", userId);
      if (f.roomId !== undefined) q = q.where("room_id", "=", f.roomId);
      if (f.status !== undefined) q = q.where("status", "=", f.status);
      return withItems(db, await q.orderBy("id", "desc").limit(f.limit).execute());
    },

    /** Status of each of `orderIds` that has a row. */
    async statuses(orderIds: string[]): Promise<Map<string, number>> {
      if (orderIds.length === 0) return new Map();
      const rows = await db.selectFrom("shop_order").select(["order_id", "status"]).where("order_id", "in", orderIds).execute();
      return new Map(rows.map((r) => [r.order_id, Number(r.status)]));
    },

    /** PREPARE_PAY → HAS_PAY if still in it and not expired at `now`; false otherwise. */
    async markPaidInTx(trx: Db, orderId: string, now: number): Promise<boolean> {
      const res = await trx
        .updateTable("shop_order")
        .set({ status: ShopOrderStatus.HAS_PAY, pay_time: now, update_time: now })
        .where("order_id", "=", orderId)
        .where("status", "=", ShopOrderStatus.PREPARE_PAY)
        .where("expire_at", ">", now)
        .executeTakeFirst();
      if (affected(res) !== 1) return false;
      await trx.updateTable("shop_order_item").set({ status: ShopOrderStatus.HAS_PAY }).where("order_id", "=", orderId).execute();
      return true;
    },

    /**
     * Claims up to `limit` PREPARE_PAY orders whose deadline passed and
     * cancels them (reason timeout) in the caller's transaction. MySQL skips
     * rows another sweeper has locked (FOR UPDATE SKIP LOCKED); SQLite has one
     * writer. Answers the orders this call cancelled, with their lines.
     */
    async cancelExpiredInTx(trx: Db, now: number, limit: number): Promise<ShopOrder[]> {
      let q = trx
        .selectFrom("shop_order")
        .selectAll()
        .where("status", "=", ShopOrderStatus.PREPARE_PAY)
        .where("expire_at", "<=", now)
        .orderBy("expire_at")
        .limit(limit);
      if (mysql) q = q.forUpdate().skipLocked();
      const due = await q.execute();
      const moved = new Set(await cancelInTx(trx, due.map((r) => r.order_id), "timeout", now));
      return (await withItems(trx, due.filter((r) => moved.has(r.order_id)))).map((o) => ({ ...o, status: ShopOrderStatus.CANCEL, cancelReason: "timeout" as const }));
    },

    /** Lines of orders cancelled recently: those whose deadline is after `expireAfter` (a cancel happens before or just after it). */
    async recentlyCancelledLines(expireAfter: number, limit: number): Promise<{ orderId: string; skuId: number }[]> {
      const rows = await db
        .selectFrom("shop_order as o")
        .innerJoin("shop_order_item as i", "i.order_id", "o.order_id")
        .select(["o.order_id", "i.sku_id"])
        .where("o.status", "=", ShopOrderStatus.CANCEL)
        .where("o.expire_at", ">", expireAfter)
        .limit(limit)
        .execute();
      return rows.map((r) => ({ orderId: r.order_id, skuId: Number(r.sku_id) }));
    },

    /** What a stock load needs, read together: available, the PREPARE_PAY lines, units per user. */
    async stockSnapshot(skuId: number) {
      return store.transact(async (trx) => {
        const total = Number((await trx.selectFrom("sku_stock").select("stock_num").where("sku_id", "=", skuId).executeTakeFirst())?.stock_num ?? 0);
        const lines = await trx
          .selectFrom("shop_order_item")
          .select(["order_id", "user_id", "count", "status"])
          .where("sku_id", "=", skuId)
          .where("status", "in", [...STOCK_HOLDING_STATUSES])
          .execute();
        const userHeld = new Map<number, number>();
        let heldUnits = 0;
        for (const l of lines) {
          heldUnits += Number(l.count);
          userHeld.set(Number(l.user_id), (userHeld.get(Number(l.user_id)) ?? 0) + Number(l.count));
        }
        return {
          skuId,
          available: Math.max(0, total - heldUnits),
          pending: lines
            .filter((l) => Number(l.status) === ShopOrderStatus.PREPARE_PAY)
            .map((l) => ({ orderId: l.order_id, userId: Number(l.user_id), count: Number(l.count) })),
          userHeld: [...userHeld].map(([userId, units]) => ({ userId, units })),
        };
      });
    },

    /** Every SKU with a stock row. */
    async stockedSkuIds(): Promise<number[]> {
      return (await db.selectFrom("sku_stock").select("sku_id").orderBy("sku_id").execute()).map((r) => Number(r.sku_id));
    },

    async writeSyncedAvailable(skuId: number, available: number, now: number): Promise<void> {
      await db.updateTable("sku_stock").set({ synced_available: available, synced_time: now }).where("sku_id", "=", skuId).execute();
    },

    /** Per-SKU totals and held units, and per (SKU, user) held units, for the invariant checker. */
    async stockLedger() {
      const totals = await db.selectFrom("sku_stock").select(["sku_id", "stock_num"]).execute();
      const heldRows = await sql<{ sku_id: number; user_id: number; units: number }>`
        SELECT sku_id, user_id, SUM(count) AS units FROM shop_order_item
        WHERE status IN (${sql.join([...STOCK_HOLDING_STATUSES])}) GROUP BY sku_id, user_id`.execute(db);
      return { totals: totals.map((t) => ({ skuId: Number(t.sku_id), total: Number(t.stock_num) })), held: heldRows.rows.map((r) => ({ skuId: Number(r.sku_id), userId: Number(r.user_id), units: Number(r.units) })) };
    },
  };
}

export type OrdersRepo = ReturnType<typeof createOrdersRepo>;
