// Pay orders: created WAITING_PAY with the product's price and coins of that
// moment, handed to the payment provider, then moved to PAYING by conditional
// update. Only notify.ts moves an order further (to PAYED).
//
// State machine (every move is `UPDATE … WHERE status IN (expected)`, so a
// race has exactly one winner):
//   WAITING_PAY ──provider took it──▶ PAYING
//   WAITING_PAY | PAYING ──valid notification──▶ PAYED
//   (PAY_BACK and IN_VALID exist in the vocabulary; nothing here enters them.)
import { AppError } from "../lib/errors.ts";
import { newId } from "../lib/ids.ts";
import type { PayProducts } from "./products.ts";
import type { PaymentProvider } from "./provider.ts";
import type { BankRepo, OrderRow } from "./repo.ts";
import { COIN_RECHARGE_BIZ_CODE, orderStatusName, PayOrderStatus, type PayChannel, type PaySource } from "./types.ts";

export interface PayOrder {
  orderId: string;
  productId: number;
  userId: number;
  amount: number;
  coinNum: number;
  source: number;
  channel: number;
  status: number;
  payTime: number | null;
  tradeNo: string | null;
  bizCode: number;
  createTime: number;
}

export function toPayOrder(r: Omit<OrderRow, "id" | "update_time">): PayOrder {
  return {
    orderId: r.order_id,
    productId: Number(r.product_id),
    userId: Number(r.user_id),
    amount: Number(r.amount),
    coinNum: Number(r.coin_num),
    source: Number(r.source),
    channel: Number(r.channel),
    status: Number(r.status),
    payTime: r.pay_time === null ? null : Number(r.pay_time),
    tradeNo: r.trade_no,
    bizCode: Number(r.biz_code),
    createTime: Number(r.create_time),
  };
}

/** Order ids: `RC` + a nanoid, unique across processes and machines without coordination. */
export function newOrderId(): string {
  return `RC${newId()}`;
}

export const ORDER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function createPayOrders(deps: { repo: BankRepo; products: PayProducts; provider: PaymentProvider }) {
  const { repo } = deps;

  async function findById(orderId: string): Promise<PayOrder | null> {
    const r = await repo.findOrder(orderId);
    return r ? toPayOrder(r) : null;
  }

  return {
    findById,

    async create(userId: number, input: { productId: number; paySource: PaySource; payChannel: PayChannel }) {
      const product = await deps.products.getValid(input.productId);
      if (!product) throw new AppError("PAY_PRODUCT_NOT_FOUND", `pay product ${input.productId} does not exist or is not on sale`);
      const orderId = newOrderId();
      const now = Date.now();
      await repo.insertOrder({
          order_id: orderId,
          product_id: product.id,
          user_id: userId,
          amount: product.price,
          coin_num: product.coinNum,
          source: input.paySource,
          channel: input.payChannel,
          status: PayOrderStatus.WAITING_PAY,
          pay_time: null,
          trade_no: null,
          biz_code: COIN_RECHARGE_BIZ_CODE,
          create_time: now,
        update_time: now,
      });
      const { payUrl } = await deps.provider.beginPayment({
        orderId,
        amount: product.price,
        channel: input.payChannel,
        productName: product.name,
        userId,
      });
      await repo.markPaying(orderId, Date.now());
      // Read back: a notification may already have won the race to PAYED.
      const order = await findById(orderId);
      return { orderId, status: orderStatusName(order?.status ?? PayOrderStatus.PAYING), amount: product.price, payUrl };
    },

    /** The caller's own order; another user's order is reported exactly like a missing one. */
    async getOwn(userId: number, orderId: string) {
      const order = await findById(orderId);
      if (!order || order.userId !== userId) throw new AppError("PAY_ORDER_NOT_FOUND", `pay order ${orderId} not found`);
      return {
        orderId: order.orderId,
        productId: order.productId,
        status: orderStatusName(order.status),
        amount: order.amount,
        coinNum: order.coinNum,
        payTime: order.payTime,
      };
    },
  };
}

export type PayOrders = ReturnType<typeof createPayOrders>;
