// Recharge persistence: pay products, pay topics, pay orders and the
// sandbox's notification queue. Order status moves are conditional updates
// (`WHERE status IN (expected)`), so of racing callers exactly one wins; a
// delivery attempt is claimed the same way on its `attempts` count. The
// payment event itself goes through the outbox (src/outbox), written in the
// caller's transaction.
import type { Insertable, Selectable } from "kysely";
import type { PayOrderTable, PayProductTable, PayTopicTable, SandboxDeliveryTable } from "../store/schema.ts";
import { affected, isUniqueViolation, type Db, type Store } from "../store/store.ts";
import { PayOrderStatus, PayProductStatus, PayTopicStatus } from "./types.ts";

export type ProductRow = Pick<Selectable<PayProductTable>, "id" | "name" | "price" | "extra" | "type" | "valid_status">;
export type OrderRow = Selectable<PayOrderTable>;
export type DeliveryRow = Pick<Selectable<SandboxDeliveryTable>, "id" | "order_id" | "channel" | "body" | "attempts">;

const PRODUCT_COLUMNS = ["id", "name", "price", "extra", "type", "valid_status"] as const;

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

    /** The topic payment events of a bizCode go to, or null when none is valid. */
    async validTopicFor(bizCode: number): Promise<string | null> {
      const r = await db.selectFrom("pay_topic").select("topic").where("biz_code", "=", bizCode).where("status", "=", PayTopicStatus.VALID).executeTakeFirst();
      return r?.topic ?? null;
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

    /** WAITING_PAY | PAYING → PAYED inside the caller's transaction; false when another caller won. */
    async markPaidInTx(trx: Db, orderId: string, paid: { payTime: number; tradeNo: string; now: number }): Promise<boolean> {
      const r = await trx
        .updateTable("pay_order")
        .set({ status: PayOrderStatus.PAYED, pay_time: paid.payTime, trade_no: paid.tradeNo, update_time: paid.now })
        .where("order_id", "=", orderId)
        .where("status", "in", [PayOrderStatus.WAITING_PAY, PayOrderStatus.PAYING])
        .executeTakeFirst();
      return affected(r) === 1;
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
