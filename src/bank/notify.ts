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
// - 200 `success`, valid and new: ONE transaction moves the order to PAYED by
//   conditional update (`WHERE status IN (WAITING_PAY, PAYING)`: of concurrent
//   notifications exactly one wins and only the winner goes on), credits the
//   order's coins through the wallet (RECHARGE, business id
//   `recharge:<orderId>`, total_charged raised) and writes the
//   `recharge_paid` event (eventId `recharge-paid:<orderId>`) to the outbox
//   for the pay topic of bizCode. All or nothing. After the commit the credit
//   is applied to the hot store and the outbox relay is woken.
// - 200 `success`, repeated: the order is already PAYED; nothing changes.
// - Any other failure (store down): 500 `fail`, nothing committed; the
//   provider retries.
import { z } from "zod";
import type { Logger } from "../lib/logger.ts";
import { enqueueInTx } from "../outbox/outbox.ts";
import type { OutboxRelay } from "../outbox/relay.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import { TradeType } from "../wallet/types.ts";
import { ORDER_ID_PATTERN, type PayOrders } from "./orders.ts";
import type { BankRepo } from "./repo.ts";
import { verifySignature } from "./signature.ts";
import {
  channelName,
  parseChannel,
  PayOrderStatus,
  rechargeBizId,
  rechargeEventId,
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

const success = (reason: string): NotifyAnswer => ({ status: 200, text: "success", reason });
const fail = (status: 400 | 401 | 500, reason: string): NotifyAnswer => ({ status, text: "fail", reason });

export function createNotifyHandler(deps: {
  store: Store;
  repo: BankRepo;
  wallet: WalletService;
  orders: PayOrders;
  outbox: Pick<OutboxRelay, "wake">;
  paySecret: string;
  log: Logger;
}) {
  const { store, repo, wallet, orders, log } = deps;

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
    const n = body.data;

    // amount, channel, biz_code and coins never change after creation, so
    // checking them outside the transaction is safe.
    const order = await orders.findById(n.orderId);
    if (!order) return fail(400, `unknown order ${n.orderId}`);
    if (order.channel !== channel) return fail(400, `order ${n.orderId} is for channel ${channelName(order.channel)}, not ${channelName(channel)}`);
    if (n.amount !== order.amount) return fail(400, `amount ${n.amount} ≠ order amount ${order.amount}`);
    if (n.bizCode !== order.bizCode) return fail(400, `bizCode ${n.bizCode} ≠ order bizCode ${order.bizCode}`);
    if (order.status === PayOrderStatus.PAYED) return repeated(order.tradeNo, n.tradeNo, n.orderId);
    if (order.status !== PayOrderStatus.WAITING_PAY && order.status !== PayOrderStatus.PAYING) {
      log.warn("payment notified for an order that cannot be paid; refund it by hand", { orderId: n.orderId, status: order.status, tradeNo: n.tradeNo });
      return fail(400, `order ${n.orderId} cannot be paid in status ${order.status}`);
    }
    const topic = await repo.validTopicFor(n.bizCode);
    if (!topic) return fail(400, `no valid pay topic for bizCode ${n.bizCode}`);

    const now = Date.now();
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
      channel: channelName(channel)!,
      paidAt: n.paidAt,
      recordedAt: now,
    };
    const account = await store.transact(async (trx) => {
      if (!(await repo.markPaidInTx(trx, order.orderId, { payTime: n.paidAt, tradeNo: n.tradeNo, now }))) return null;
      const acc = await wallet.creditInTx(trx, {
        userId: order.userId,
        amount: order.coinNum,
        type: TradeType.RECHARGE,
        bizId: rechargeBizId(order.orderId),
        charged: true,
      });
      // The order was unpaid a moment ago, so its credit cannot exist yet;
      // if it does, the ledger and the orders disagree: change nothing.
      if (!acc) throw new Error(`recharge ${order.orderId}: ledger row exists for an order that was not PAYED`);
      await enqueueInTx(trx, { eventId: event.eventId, topic, key: String(order.userId), payload: { ...event } }, now);
      return acc;
    });

    if (!account) {
      // A concurrent notification won the conditional update; it did the work.
      const now2 = await orders.findById(order.orderId);
      if (now2?.status === PayOrderStatus.PAYED) return repeated(now2.tradeNo, n.tradeNo, n.orderId);
      return fail(400, `order ${n.orderId} left the payable states meanwhile`);
    }
    await wallet.applyCreditToHot(order.userId, order.coinNum, account);
    deps.outbox.wake();
    log.info("recharge paid", { orderId: order.orderId, userId: order.userId, coins: order.coinNum, amount: order.amount, tradeNo: n.tradeNo });
    return success("paid");
  }

  function repeated(storedTradeNo: string | null, tradeNo: string, orderId: string): NotifyAnswer {
    if (storedTradeNo !== tradeNo) {
      // A second payment for one order: answered like a repeat so the provider
      // stops, and logged so an operator can refund it.
      log.warn("second payment for an already paid order; refund it by hand", { orderId, storedTradeNo, tradeNo });
    }
    return success("already paid");
  }

  return {
    /** Handles one notification; never throws for bad input, only for outages. */
    handle,
  };
}

export type NotifyHandler = ReturnType<typeof createNotifyHandler>;
