// Recharge persistence: pay products, pay topics, pay orders and the
// sandbox's notification queue. Order status moves are conditional updates
// (`WHERE status IN (expected)`), so of racing callers exactly one wins; a
// delivery attempt is claimed the same way on its `attempts` count. The
// payment event itself goes through the outbox (src/outbox), written in the
// caller's transaction.
import type { Insertable, Selectable } from "kysely";
import type { PayOrderTable, PayProductTable, PayTopicTable, SandboxDeliveryTable } from "../store/schema.ts";
import { caseWhen, placeholders, runRaw, statementFor } from "../store/raw.ts";
import { affected, isUniqueViolation, type Db, type Store } from "../store/store.ts";
import { PayOrderStatus, PayProductStatus, PayTopicStatus } from "./types.ts";

export type ProductRow = Pick<Selectable<PayProductTable>, "id" | "name" | "price" | "extra" | "type" | "valid_status">;
export type OrderRow = Selectable<PayOrderTable>;
export type DeliveryRow = Pick<Selectable<SandboxDeliveryTable>, "id" | "order_id" | "channel" | "body" | "attempts">;

const PRODUCT_COLUMNS = ["id", "name", "price", "extra", "type", "valid_status"] as const;

/**
 * MariaDB may plan `order_id IN (…)` (with `status IN (…)` on the update) over
 * the status index, whose range holds every unpaid order, and under
 * REPEATABLE READ it locks every row it passes: concurrent notify batches
 * would lock (and deadlock on) each other's orders. Forced to the order id's
 * unique key, a batch locks only its own orders.
 */
const BY_ORDER_ID = " force index (uk_pay_order_order_id)";

export function createBankRepo(store: Store) {
  const db = store.db;
  return {
    // ---- products ----

    /** Valid products of a type, price descending, ties by id. */
    listValidProducts(type: number): Promise<ProductRow[]> {
      return db
        .selectFrom("pay_product")
        .select(PRODUCT_COLUMNS)
        .where("type", "=", type)
        .where("valid_status", "=", PayProductStatus.VALID)
        .orderBy("price", "desc")
        .orderBy("id", "asc")
        .execute();
    },

    findValidProduct(id: number): Promise<ProductRow | undefined> {
      return db.selectFrom("pay_product").select(PRODUCT_COLUMNS).where("id", "=", id).where("valid_status", "=", PayProductStatus.VALID).executeTakeFirst();
    },

    /** Inserts a product unless its id exists; true when inserted. */
    async insertProductIfAbsent(row: Insertable<PayProductTable> & { id: number }): Promise<boolean> {
      if (await db.selectFrom("pay_product").select("id").where("id", "=", row.id).executeTakeFirst()) return false;
      await db.insertInto("pay_product").values(row).execute();
      return true;
    },

    // ---- topics ----

    /** The topic payment events of each bizCode go to, for those of `bizCodes` that have a valid one. */
    async validTopicsFor(bizCodes: number[]): Promise<Map<number, string>> {
      if (bizCodes.length === 0) return new Map();
      const rows = await db
        .selectFrom("pay_topic")
        .select(["biz_code", "topic"])
        .where("biz_code", "in", [...new Set(bizCodes)])
        .where("status", "=", PayTopicStatus.VALID)
        .execute();
      return new Map(rows.map((r) => [Number(r.biz_code), r.topic]));
    },

    /** Inserts a topic unless its bizCode has one; true when inserted. */
    async insertTopicIfAbsent(row: Insertable<PayTopicTable>): Promise<boolean> {
      if (await db.selectFrom("pay_topic").select("id").where("biz_code", "=", row.biz_code).executeTakeFirst()) return false;
      await db.insertInto("pay_topic").values(row).execute();
      return true;
    },

    // ---- orders ----

    insertOrder(row: Insertable<PayOrderTable>): Promise<unknown> {
      return db.insertInto("pay_order").values(row).execute();
    },

    findOrder(orderId: string): Promise<OrderRow | undefined> {
      return db.selectFrom("pay_order").selectAll().where("order_id", "=", orderId).executeTakeFirst();
    },

    /** The order with its product's name (null when the product is gone). */
    findOrderWithProductName(orderId: string): Promise<(OrderRow & { product_name: string | null }) | undefined> {
      return db
        .selectFrom("pay_order")
        .leftJoin("pay_product", "pay_product.id", "pay_order.product_id")
        .selectAll("pay_order")
        .select("pay_product.name as product_name")
        .where("pay_order.order_id", "=", orderId)
        .executeTakeFirst();
    },

    /** WAITING_PAY → PAYING; false when the order already left WAITING_PAY. */
    async markPaying(orderId: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable("pay_order")
        .set({ status: PayOrderStatus.PAYING, update_time: now })
        .where("order_id", "=", orderId)
        .where("status", "=", PayOrderStatus.WAITING_PAY)
        .executeTakeFirst();
      return affected(r) === 1;
    },

    /**
     * The orders of `orderIds` that exist, locked for the rest of the
     * caller's transaction (FOR UPDATE on MySQL, in order-id order; SQLite has
     * one writer): no other caller can move them before this one commits.
     */
    async lockOrdersInTx(trx: Db, orderIds: string[]): Promise<Map<string, OrderRow>> {
      if (orderIds.length === 0) return new Map();
      const sorted = [...new Set(orderIds)].sort();
      const mysql = store.dialect === "mysql";
      const text = statementFor(
        `lockOrders.${store.dialect}`,
        sorted.length,
        (n) => `select * from pay_order${mysql ? BY_ORDER_ID : ""} where order_id in (${placeholders(n)}) order by order_id${mysql ? " for update" : ""}`,
      );
      const { rows } = await runRaw<OrderRow>(trx, text, sorted);
      return new Map(rows.map((r) => [r.order_id, r]));
    },

    /**
     * WAITING_PAY | PAYING → PAYED for orders this transaction locked with
     * lockOrdersInTx, each with its own pay time and trade number, in ONE
     * conditional update. Throws when any of them was not payable (the lock
     * was not taken first).
     */
    async markPaidManyInTx(trx: Db, paid: { orderId: string; payTime: number; tradeNo: string }[], now: number): Promise<void> {
      if (paid.length === 0) return;
      const mysql = store.dialect === "mysql";
      const text = statementFor(`markPaidMany.${store.dialect}`, paid.length, (n) => {
        const cases = caseWhen("order_id", n);
        return (
          `update pay_order${mysql ? BY_ORDER_ID : ""} set status = ?, pay_time = ${cases}, trade_no = ${cases}, update_time = ?` +
          ` where order_id in (${placeholders(n)}) and status in (?, ?)`
        );
      });
      const { changed } = await runRaw(trx, text, [
        PayOrderStatus.PAYED,
        ...paid.flatMap((p) => [p.orderId, p.payTime]),
        ...paid.flatMap((p) => [p.orderId, p.tradeNo]),
        now,
        ...paid.map((p) => p.orderId),
        PayOrderStatus.WAITING_PAY,
        PayOrderStatus.PAYING,
      ]);
      if (changed !== paid.length) throw new Error(`marking ${paid.length} orders paid changed ${changed}: they were not locked payable`);
    },

    // ---- sandbox deliveries ----

    /** Queues a notification; false when the order already has one (unique per order). */
    async insertDelivery(row: Insertable<SandboxDeliveryTable>): Promise<boolean> {
      try {
        await db.insertInto("sandbox_delivery").values(row).execute();
        return true;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        return false;
      }
    },

    findDelivery(orderId: string) {
      return db.selectFrom("sandbox_delivery").select(["attempts", "delivered_time", "last_error"]).where("order_id", "=", orderId).executeTakeFirst();
    },

    /** Undelivered notifications whose next attempt is due, soonest first. */
    dueDeliveries(now: number, limit: number): Promise<DeliveryRow[]> {
      return db
        .selectFrom("sandbox_delivery")
        .select(["id", "order_id", "channel", "body", "attempts"])
        .where("delivered_time", "is", null)
        .where("next_attempt_at", "<=", now)
        .orderBy("next_attempt_at")
        .limit(limit)
        .execute();
    },

    /**
     * Claims attempt number `attempt` of a delivery that had `row.attempts`,
     * pushing the next one out to `nextAttemptAt`. Of several processes
     * seeing the same row exactly one gets true.
     */
    async claimAttempt(row: DeliveryRow, attempt: number, nextAttemptAt: number): Promise<boolean> {
      const r = await db
        .updateTable("sandbox_delivery")
        .set({ attempts: attempt, next_attempt_at: nextAttemptAt })
        .where("id", "=", row.id)
        .where("attempts", "=", row.attempts)
        .where("delivered_time", "is", null)
        .executeTakeFirst();
      return affected(r) === 1;
    },

    markDelivered(id: number, now: number): Promise<unknown> {
      return db.updateTable("sandbox_delivery").set({ delivered_time: now, last_error: null }).where("id", "=", id).execute();
    },

    recordDeliveryError(id: number, problem: string): Promise<unknown> {
      return db.updateTable("sandbox_delivery").set({ last_error: problem }).where("id", "=", id).execute();
    },
  };
}

export type BankRepo = ReturnType<typeof createBankRepo>;
