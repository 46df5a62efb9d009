// Payment notifications: `POST /api/bank/notify/:channel`. This is
// where money enters the system.
//
// Contract
// - Input: the raw body `{orderId, amount, tradeNo, bizCode, paidAt}` (amount
//   in cents, paidAt epoch ms) and the headers X-Pay-Timestamp /
//   X-Pay-Signature (signature.ts). `:channel` is a channel name in any case
//   (`alipay`, `wechat`, `unionpay`, `cashier`) or its number (0..3).
// - 401 `fail`: signature missing, malformed, wrong, or timestamp more than
//   300 s from our clock. Checked before the body is even parsed.
// - 400 `fail`, nothing changes: unknown channel, malformed body, unknown
//   order, channel or bizCode other than the order's, amount other than the
//   order's amount (the product's price when the order was created), no
//   valid pay topic for the bizCode, or an order in a state that cannot be
//   paid (PAY_BACK, IN_VALID).
// - 200 `success`, valid and new: ONE transaction moves the order to PAYED
//   (its row locked while WAITING_PAY or PAYING, then a conditional update:
//   of concurrent notifications exactly one wins and only the winner goes
//   on), credits the order's coins through the wallet (RECHARGE, business id
//   `recharge:<orderId>`, total_charged raised) and writes the
//   `recharge_paid` event (eventId `recharge-paid:<orderId>`) to the outbox
//   for the pay topic of bizCode. All or nothing. After the commit the credit
//   is applied to the hot store and the outbox relay is woken; the answer
//   comes only then.
// - 200 `success`, repeated: the order is already PAYED; nothing changes.
// - Any other failure (store down): 500 `fail`, nothing committed; the
//   provider retries.
//
// Batching: the signature and the body are checked per notification; the
// rest is group-committed (src/lib/group-commit.ts). The notifications that
// arrive while a batch commits are decided together in the next, in ONE
// transaction: one locking read of their orders, one read of the pay topics,
// the checks above against the locked rows in arrival order, one UPDATE
// marking the payable orders paid, one credit per user (wallet.creditManyInTx),
// one multi-row outbox insert. Of several notifications for one order in a
// batch the first decides and the others answer as repeats. A batch that
// fails is redone notification by notification, so one bad notification
// cannot fail the others; each caller gets its own answer.
import { z } from "zod";
import { groupCommit, runAloneOnFailure } from "../lib/group-commit.ts";
import type { Logger } from "../lib/logger.ts";
import { enqueueManyInTx } from "../outbox/outbox.ts";
import type { OutboxRelay } from "../outbox/relay.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import { TradeType } from "../wallet/types.ts";
import { ORDER_ID_PATTERN, toPayOrder, type PayOrder } from "./orders.ts";
import type { BankRepo } from "./repo.ts";
import { verifySignature } from "./signature.ts";
import {
  channelName,
  parseChannel,
  PayOrderStatus,
  rechargeBizId,
  rechargeEventId,
  type PayChannel,
  type RechargePaidEvent,
} from "./types.ts";

export interface NotifyAnswer {
  status: 200 | 400 | 401 | 500;
  text: "success" | "fail";
  /** Why, for logs and tests; never sent to the provider. */
  reason: string;
}

const notificationSchema = z.object({
  orderId: z.string().regex(ORDER_ID_PATTERN),
  amount: z.number().int().nonnegative(),
  tradeNo: z.string().min(1).max(128),
  bizCode: z.number().int(),
  paidAt: z.number().int().nonnegative(),
});

/** A notification whose signature and body are valid, waiting for its batch. */
type Notification = z.infer<typeof notificationSchema> & { channel: PayChannel };

/** A notification that pays its order, as its batch's transaction decided. */
interface Payment {
  order: PayOrder;
  n: Notification;
  topic: string;
}

/**
 * Notifications one transaction decides: SQLite has one writer, so one batch
 * at a time and large; MySQL runs a few smaller ones side by side on its pool.
 */
const BATCHING = {
  sqlite: { lingerMs: 1, maxSize: 200, maxInFlight: 1 },
  mysql: { lingerMs: 1, maxSize: 32, maxInFlight: 4 },
} as const;

const success = (reason: string): NotifyAnswer => ({ status: 200, text: "success", reason });
const fail = (status: 400 | 401 | 500, reason: string): NotifyAnswer => ({ status, text: "fail", reason });
const ALREADY_PAID = success("already paid");

export function createNotifyHandler(deps: {
  store: Store;
  repo: BankRepo;
  wallet: WalletService;
  outbox: Pick<OutboxRelay, "wake">;
  paySecret: string;
  log: Logger;
}) {
  const { store, repo, wallet, log } = deps;

  async function handle(input: { channel: string; timestamp?: string; signature?: string; rawBody: string }): Promise<NotifyAnswer> {
    const sig = verifySignature(deps.paySecret, input.timestamp, input.signature, input.rawBody);
    if (!sig.ok) return fail(401, `signature ${sig.reason}`);

    const channel = parseChannel(input.channel);
    if (channel === undefined) return fail(400, `unknown channel "${input.channel}"`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.rawBody);
    } catch {
      return fail(400, "body is not JSON");
    }
    const body = notificationSchema.safeParse(parsed);
    if (!body.success) return fail(400, `body: ${body.error.issues[0]?.path.join(".") || "?"} ${body.error.issues[0]?.message ?? ""}`);
    return decisions.submit({ ...body.data, channel });
  }

  /**
   * The checks against the order (locked, or already paid in this batch by
   * `paidNow`: order id → tradeNo): a Payment when it pays the order, else
   * the answer, with what to tell an operator.
   */
  function check(n: Notification, order: PayOrder | undefined, topic: string | undefined, paidNow: Map<string, string>): Payment | { answer: NotifyAnswer; warn?: [string, Record<string, unknown>] } {
    if (!order) return { answer: fail(400, `unknown order ${n.orderId}`) };
    if (order.channel !== n.channel) return { answer: fail(400, `order ${n.orderId} is for channel ${channelName(order.channel)}, not ${channelName(n.channel)}`) };
    if (n.amount !== order.amount) return { answer: fail(400, `amount ${n.amount} ≠ order amount ${order.amount}`) };
    if (n.bizCode !== order.bizCode) return { answer: fail(400, `bizCode ${n.bizCode} ≠ order bizCode ${order.bizCode}`) };
    const storedTradeNo = paidNow.get(n.orderId) ?? (order.status === PayOrderStatus.PAYED ? order.tradeNo : undefined);
    if (storedTradeNo !== undefined) {
      // A second payment for one order: answered like a repeat so the
      // provider stops, and logged so an operator can refund it.
      if (storedTradeNo === n.tradeNo) return { answer: ALREADY_PAID };
      return { answer: ALREADY_PAID, warn: ["second payment for an already paid order; refund it by hand", { orderId: n.orderId, storedTradeNo, tradeNo: n.tradeNo }] };
    }
    if (order.status !== PayOrderStatus.WAITING_PAY && order.status !== PayOrderStatus.PAYING) {
      return {
        answer: fail(400, `order ${n.orderId} cannot be paid in status ${order.status}`),
        warn: ["payment notified for an order that cannot be paid; refund it by hand", { orderId: n.orderId, status: order.status, tradeNo: n.tradeNo }],
      };
    }
    if (!topic) return { answer: fail(400, `no valid pay topic for bizCode ${n.bizCode}`) };
    return { order, n, topic };
  }

  /**
   * One transaction for a batch, an answer per notification in order. After
   * the commit each user's credits reach the hot store, the relay is woken,
   * and what happened is logged.
   */
  async function decideBatch(batch: Notification[]): Promise<NotifyAnswer[]> {
    const now = Date.now();
    // Configuration, not money: read before the orders' locks are taken.
    const topics = await repo.validTopicsFor(batch.map((n) => n.bizCode));
    const { decided, credited } = await store.transact(async (trx) => {
      const orders = await repo.lockOrdersInTx(trx, batch.map((n) => n.orderId));
      const paidNow = new Map<string, string>();
      const decided = batch.map((n) => {
        const row = orders.get(n.orderId);
        const d = check(n, row && toPayOrder(row), topics.get(n.bizCode), paidNow);
        if ("order" in d) paidNow.set(n.orderId, n.tradeNo);
        return d;
      });
      const payments = decided.filter((d): d is Payment => "order" in d);
      await repo.markPaidManyInTx(trx, payments.map((p) => ({ orderId: p.order.orderId, payTime: p.n.paidAt, tradeNo: p.n.tradeNo })), now);
      const credited = await wallet.creditManyInTx(
        trx,
        payments.map((p) => ({ userId: p.order.userId, amount: p.order.coinNum, type: TradeType.RECHARGE, bizId: rechargeBizId(p.order.orderId), charged: true })),
        now,
      );
      // The orders were unpaid under their locks, so their credits cannot
      // exist yet; if one does, the ledger and the orders disagree: change nothing.
      if (!credited) throw new Error(`recharge of ${payments.map((p) => p.order.orderId).join(", ")}: a ledger row exists for an order that was not PAYED`);
      await enqueueManyInTx(trx, payments.map((p) => paidEvent(p, now)), now);
      return { decided, credited };
    });
    await Promise.all([...credited].map(([userId, c]) => wallet.applyCreditToHot(userId, c.amount, c.account)));
    if (credited.size > 0) deps.outbox.wake();
    return decided.map((d) => {
      if ("answer" in d) {
        if (d.warn) log.warn(...d.warn);
        return d.answer;
      }
      log.info("recharge paid", { orderId: d.order.orderId, userId: d.order.userId, coins: d.order.coinNum, amount: d.order.amount, tradeNo: d.n.tradeNo });
      return success("paid");
    });
  }

  function paidEvent({ order, n, topic }: Payment, now: number) {
    const event: RechargePaidEvent = {
      eventId: rechargeEventId(order.orderId),
      type: "recharge_paid",
      orderId: order.orderId,
      userId: order.userId,
      productId: order.productId,
      coins: order.coinNum,
      amount: order.amount,
      tradeNo: n.tradeNo,
      bizCode: n.bizCode,
      channel: channelName(n.channel)!,
      paidAt: n.paidAt,
      recordedAt: now,
    };
    return { eventId: event.eventId, topic, key: String(order.userId), payload: { ...event } };
  }

  const decisions = groupCommit<Notification, NotifyAnswer>(
    runAloneOnFailure(decideBatch, { onSplit: (err, size) => log.warn("a batch of notifications failed; deciding them one by one", { err, size }) }),
    BATCHING[store.dialect],
    { timeout: (ms) => new Error(`notification not decided within ${ms} ms`), closed: () => new Error("notifications are closed") },
  );

  return {
    /** Handles one notification; never throws for bad input, only for outages. */
    handle,
    /** Decides what is queued, refuses what comes after; resolves when the last batch ended. */
    close: () => decisions.close(),
  };
}

export type NotifyHandler = ReturnType<typeof createNotifyHandler>;
