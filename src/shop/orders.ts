// Shop orders: prepare from the cart, pay with coins, cancel, and
// the timeout — a state machine changed only by conditional updates, so pay,
// cancel and timeout race with exactly one winner and only the winner acts on
// coins and stock.
//
//   prepare  cart lines and the request id's mark (one hot-store read) →
//            reserve all (hot store) → insert order + lines in one
//            transaction (the database checks stock and limits again) →
//            the ordered lines leave the cart. A failed insert releases.
//   pay      under the user's 1 s lock: the wallet admits the total → one
//            transaction: PREPARE_PAY→HAS_PAY (not past the deadline), the
//            SHOP_ORDER_PAY debit, the `shop_order_paid` outbox event → the
//            wallet settles (or refunds when the transaction did not commit).
//   cancel   PREPARE_PAY→CANCEL (reason user, or timeout by the sweeper) with
//            the `shop_order_cancelled` outbox event → stock released, once.
// Crash windows between these steps: docs/commerce.md.
import type { Guards } from "../hot/guards/port.ts";
import { withLock, type LockPolicy } from "../hot/guards/with-lock.ts";
import { AppError, type ErrorName } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import { TOPICS } from "../eventlog/topics.ts";
import { enqueueInTx } from "../outbox/outbox.ts";
import type { OutboxRelay } from "../outbox/relay.ts";
import { isUniqueViolation, type Db, type Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import type { Push } from "../ws/push.ts";
import { TradeType } from "../wallet/types.ts";
import type { Carts } from "./cart.ts";
import { createOrderPush } from "./order-push.ts";
import type { CancelReason, OrdersRepo, ShopOrder } from "./orders-repo.ts";
import type { ShopStock } from "./stock.ts";
import { ORDER_STATUS_NAMES, ShopOrderStatus, type OrderStatusName } from "./types.ts";


const PAY_LOCK_TTL_MS = 1000;
const PAY_LOCK_ATTEMPTS = 20;
export const SWEEP_BATCH = 100;

export interface Address {
  name: string;
  phone: string;
  detail: string;
}

/** Test hooks: simulate a process dying between steps. */
export interface ShopHooks {
  /** After the stock is reserved, before the order row is written. */
  afterReserve?: (orderId: string) => Promise<void> | void;
}

export const shopPayBizId = (orderId: string) => `shop-pay:${orderId}`;

export function orderView(o: ShopOrder) {
  return {
    orderId: o.orderId,
    roomId: o.roomId,
    status: ORDER_STATUS_NAMES[o.status]!,
    cancelReason: o.cancelReason,
    items: o.items,
    totalPrice: o.totalPrice,
    address: o.address,
    expireAt: o.expireAt,
    payTime: o.payTime,
    createTime: o.createTime,
  };
}

/**
 * An expected refusal (9 in 10 answers of a sold-out rush), built without
 * capturing a stack: nothing reads it, and capturing it cost ~5–10 µs of an
 * answer's ~200 µs.
 */
function refusal(name: ErrorName, message: string, data: unknown): AppError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AppError(name, message, data);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

class PayRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export function createOrders(deps: {
  store: Store;
  repo: OrdersRepo;
  stock: ShopStock;
  carts: Carts;
  wallet: WalletService;
  guards: Guards;
  outbox: Pick<OutboxRelay, "wake">;
  push: Push;
  metrics: Metrics;
  log: Logger;
  orderTtlSec: number;
  hooks?: ShopHooks;
}) {
  const { store, repo, stock, carts, wallet, guards, outbox, metrics, log } = deps;
  const count = (outcome: string) => metrics.orders.inc({ kind: "shop_order", outcome });
  const pushToAnchor = createOrderPush(deps.push, log);

  function refuse(short: number[], limit: number[]): never {
    if (limit.length > 0) {
      count("rejected_purchase_limit");
      throw refusal("PURCHASE_LIMIT", `sku ${limit.join(", ")}: this order would take you past the per-user limit`, { skuIds: limit });
    }
    count("rejected_out_of_stock");
    throw refusal("OUT_OF_STOCK", `sku ${short.join(", ")}: not enough stock`, { skuIds: short });
  }

  function sameRequest(existing: ShopOrder, address: Address) {
    const a = existing.address;
    if (a.name !== address.name || a.phone !== address.phone || a.detail !== address.detail) {
      throw new AppError("IDEMPOTENCY_CONFLICT", "requestId was already used with a different body", { orderId: existing.orderId });
    }
    return orderView(existing);
  }

  async function ownOrder(userId: number, orderId: string): Promise<ShopOrder> {
    const o = await repo.getOrder(orderId);
    // Someone else's order answers like a missing one: order ids are not for probing.
    if (!o || o.userId !== userId) throw new AppError("ORDER_NOT_FOUND", `order ${orderId} does not exist`);
    return o;
  }

  async function enqueueCancelled(trx: Db, o: ShopOrder, reason: CancelReason, now: number): Promise<void> {
    const eventId = `shop-order-cancelled:${o.orderId}`;
    await enqueueInTx(
      trx,
      { eventId, topic: TOPICS.shopOrderCancelled, key: String(o.userId), payload: { eventId, orderId: o.orderId, userId: o.userId, roomId: o.roomId, reason, items: o.items, cancelledAt: now } },
      now,
    );
  }

  /** After a cancel committed: the winner alone gives the stock back. */
  async function afterCancel(orders: ShopOrder[], reason: CancelReason): Promise<void> {
    if (orders.length === 0) return;
    outbox.wake();
    for (const o of orders) {
      await stock.releaseLines(o.orderId, o.items.map((i) => i.skuId), o.roomId);
      count(`cancelled_${reason}`);
      pushToAnchor({ ...o, cancelReason: reason }, "CANCEL");
    }
  }

  /** PREPARE_PAY → CANCEL for one order; true when this call won. */
  async function cancelOne(o: ShopOrder, reason: CancelReason): Promise<boolean> {
    const now = Date.now();
    const won = await store.transact(async (trx) => {
      const moved = await repo.cancelInTx(trx, [o.orderId], reason, now);
      if (moved.length === 0) return false;
      await enqueueCancelled(trx, o, reason, now);
      return true;
    });
    if (won) await afterCancel([o], reason);
    return won;
  }

  /** A PREPARE_PAY order past its deadline is cancelled (timeout) by whoever meets it first. */
  async function expire(o: ShopOrder): Promise<never> {
    await cancelOne(o, "timeout");
    throw new AppError("ORDER_STATE_CONFLICT", `order ${o.orderId} expired unpaid and was cancelled`);
  }

  /** Answer for an order that left PREPARE_PAY under us. */
  async function settledAnswer(orderId: string, wanted: OrderStatusName) {
    const o = (await repo.getOrder(orderId))!;
    if (ORDER_STATUS_NAMES[o.status] === wanted) return { orderId, status: wanted };
    if (o.status === ShopOrderStatus.PREPARE_PAY) return expire(o);
    throw new AppError("ORDER_STATE_CONFLICT", `order ${orderId} is ${ORDER_STATUS_NAMES[o.status]}`);
  }

  const payLock: LockPolicy = {
    ttlMs: PAY_LOCK_TTL_MS,
    attempts: PAY_LOCK_ATTEMPTS,
    pauseMs: (attempt) => 10 + attempt * 10,
    busy: () => new AppError("UNAVAILABLE", "another payment of yours is in progress, retry shortly"),
  };

  return {
    async prepare(userId: number, roomId: number, input: { address: Address; requestId?: string }) {
      const { address, requestId } = input;
      // One hot-store round trip: the cart, and whether this request id came
      // before. The database is asked about the request id only then, or when
      // the cart is empty (the first attempt may have emptied it); a fresh
      // request id cannot have an order, so a sold-out rush costs no query.
      const { lines, seen } = await carts.checkout(userId, roomId, requestId);
      if (requestId !== undefined && (seen || lines.size === 0)) {
        const existing = await repo.getOrderByRequest(userId, requestId);
        if (existing) return sameRequest(existing, address);
      }
      const { anchorId, skus } = await carts.roomSkus(roomId);
      if (lines.size === 0) throw new AppError("CART_EMPTY", `your cart in room ${roomId} is empty`);
      const notHere = [...lines.keys()].filter((id) => !skus.has(id)).sort((a, b) => a - b);
      if (notHere.length > 0) throw new AppError("SKU_NOT_IN_ROOM", `sku ${notHere.join(", ")}: not sold in room ${roomId}; remove it from the cart`, { skuIds: notHere });
      const items = [...lines].sort((a, b) => a[0] - b[0]).map(([skuId, n]) => ({ skuId, count: n, price: skus.get(skuId)!.skuPrice }));
      const skuIds = items.map((i) => i.skuId);
      // Most of a sold-out rush ends here: no order id, no hot-store reserve.
      const flagged = stock.flaggedSoldOut(skuIds);
      if (flagged.length > 0) return refuse(flagged, []);

      const limits = new Map(items.map((i) => [i.skuId, skus.get(i.skuId)!.limitPerUser]));
      const orderId = newId();
      const reserved = await stock.reserveAll(orderId, userId, items.map((i) => ({ skuId: i.skuId, count: i.count, limitPerUser: limits.get(i.skuId)! })), roomId);
      if (!reserved.ok) return refuse(reserved.short, reserved.limit);
      await deps.hooks?.afterReserve?.(orderId);

      const now = Date.now();
      const order = {
        orderId,
        userId,
        roomId,
        anchorId,
        requestId: requestId ?? null,
        totalPrice: items.reduce((s, i) => s + i.price * i.count, 0),
        address,
        expireAt: now + deps.orderTtlSec * 1000,
        createTime: now,
        items,
        limits,
      };
      let inserted;
      try {
        inserted = await repo.insertOrder(order);
      } catch (err) {
        await stock.releaseLines(orderId, skuIds, roomId);
        if (requestId !== undefined && isUniqueViolation(err)) {
          // A concurrent prepare with the same requestId landed first.
          const winner = await repo.getOrderByRequest(userId, requestId);
          if (winner) return sameRequest(winner, address);
        }
        throw err;
      }
      if (!inserted.ok) {
        await stock.releaseLines(orderId, skuIds, roomId);
        if (inserted.short.length > 0) await stock.dropDrifted(inserted.short);
        return refuse(inserted.short, inserted.limit);
      }
      await Promise.all([stock.landed(orderId, skuIds), carts.removeLines(userId, roomId, skuIds)]);
      count("prepared");
      log.info("shop order prepared", { orderId, userId, roomId, totalPrice: order.totalPrice });
      const { limits: _, ...created } = order;
      pushToAnchor(created, "PREPARE_PAY");
      return orderView({ ...created, status: ShopOrderStatus.PREPARE_PAY, cancelReason: null, payTime: null });
    },

    async pay(userId: number, orderId: string) {
      const order = await ownOrder(userId, orderId);
      if (order.status !== ShopOrderStatus.PREPARE_PAY) return settledAnswer(orderId, "HAS_PAY");
      if (order.expireAt <= Date.now()) return expire(order);
      return withLock(guards, `shop-pay:${userId}`, payLock, async () => {
        const admissionId = `shop-pay:${orderId}:${newId()}`;
        const admitted = await wallet.admit({ userId, admissionId, amount: order.totalPrice, fingerprint: orderId });
        if (admitted.kind === "insufficient") {
          count("pay_rejected_insufficient_balance");
          throw new AppError("INSUFFICIENT_BALANCE", `balance ${admitted.available} is below the order's total ${order.totalPrice}`);
        }
        if (admitted.kind !== "admitted") throw new Error(`pay ${orderId}: a fresh admission id answered ${admitted.kind}`);
        const now = Date.now();
        let paid: boolean;
        try {
          paid = await store.transact(async (trx) => {
            if (!(await repo.markPaidInTx(trx, orderId, now))) return false;
            const debit = await wallet.debitInTx(trx, { userId, amount: order.totalPrice, type: TradeType.SHOP_ORDER_PAY, bizId: shopPayBizId(orderId), now });
            // Rolls the status change back with it.
            if (!debit.ok) throw new PayRefused(debit.reason);
            const eventId = `shop-order-paid:${orderId}`;
            await enqueueInTx(
              trx,
              { eventId, topic: TOPICS.shopOrderPaid, key: String(userId), payload: { eventId, orderId, userId, roomId: order.roomId, anchorId: order.anchorId, totalPrice: order.totalPrice, items: order.items, paidAt: now } },
              now,
            );
            return true;
          });
        } catch (err) {
          await wallet.refund(userId, admissionId, { overAdmitted: err instanceof PayRefused && err.reason === "insufficient_balance" });
          if (!(err instanceof PayRefused)) throw err;
          count("pay_rejected_insufficient_balance");
          if (err.reason === "account_frozen") throw new AppError("FORBIDDEN", "your coin account is frozen");
          throw new AppError("INSUFFICIENT_BALANCE", `balance is below the order's total ${order.totalPrice}`);
        }
        if (!paid) {
          // Cancelled, timed out or paid meanwhile: nothing was debited.
          await wallet.refund(userId, admissionId);
          return settledAnswer(orderId, "HAS_PAY");
        }
        await wallet.settle(userId, admissionId, { debitedNow: true });
        await stock.settle(orderId, order.items.map((i) => i.skuId));
        outbox.wake();
        count("paid");
        pushToAnchor(order, "HAS_PAY");
        return { orderId, status: "HAS_PAY" as OrderStatusName };
      });
    },

    async cancel(userId: number, orderId: string) {
      const order = await ownOrder(userId, orderId);
      if (order.status !== ShopOrderStatus.PREPARE_PAY) return settledAnswer(orderId, "CANCEL");
      if (!(await cancelOne(order, "user"))) return settledAnswer(orderId, "CANCEL");
      return { orderId, status: "CANCEL" as OrderStatusName };
    },

    async get(userId: number, orderId: string) {
      return orderView(await ownOrder(userId, orderId));
    },

    async list(userId: number, f: { roomId?: number; status?: OrderStatusName; limit: number }) {
      const status = f.status === undefined ? undefined : ORDER_STATUS_NAMES.indexOf(f.status);
      return (await repo.listOrders(userId, { roomId: f.roomId, status, limit: f.limit })).map(orderView);
    },

    /**
     * One sweep: cancels (reason timeout) up to SWEEP_BATCH PREPARE_PAY
     * orders whose deadline passed at `now`, each claimed by one process.
     * True when a full batch was found (more may be waiting).
     */
    async sweepExpired(now = Date.now()): Promise<boolean> {
      const cancelled = await store.transact(async (trx) => {
        const orders = await repo.cancelExpiredInTx(trx, now, SWEEP_BATCH);
        for (const o of orders) await enqueueCancelled(trx, o, "timeout", now);
        return orders;
      });
      await afterCancel(cancelled, "timeout");
      if (cancelled.length > 0) log.info("shop orders timed out", { count: cancelled.length });
      return cancelled.length === SWEEP_BATCH;
    },
  };
}

export type Orders = ReturnType<typeof createOrders>;
