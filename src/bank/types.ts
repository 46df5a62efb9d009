// Recharge vocabulary: order states, pay sources and channels, and
// the business code of a coin recharge with the topic its events go to.

export const PayOrderStatus = {
  WAITING_PAY: 0,
  PAYING: 1,
  PAYED: 2,
  PAY_BACK: 3,
  IN_VALID: 4,
} as const;
export type PayOrderStatus = (typeof PayOrderStatus)[keyof typeof PayOrderStatus];

export const PaySource = { LIVING_ROOM: 1, USER_CENTER: 2 } as const;
export type PaySource = (typeof PaySource)[keyof typeof PaySource];

export const PayChannel = { ALIPAY: 0, WECHAT: 1, UNIONPAY: 2, CASHIER: 3 } as const;
export type PayChannel = (typeof PayChannel)[keyof typeof PayChannel];

export const PayProductStatus = { INVALID: 0, VALID: 1 } as const;
export const PayTopicStatus = { INVALID: 0, VALID: 1 } as const;

/** The product type of coin recharges (`GET /api/bank/products?type=0`). */
export const COIN_PRODUCT_TYPE = 0;
/** Business code of a coin recharge; pay_topic maps it to COIN_RECHARGE_TOPIC. */
export const COIN_RECHARGE_BIZ_CODE = 10001;
/** Logical topic of "coins recharged" events (the event log adds the namespace). */
export const COIN_RECHARGE_TOPIC = "coin_recharge";

function nameOf(table: Record<string, number>, code: number): string | undefined {
  return Object.entries(table).find(([, v]) => v === code)?.[0];
}

export function orderStatusName(code: number): string {
  return nameOf(PayOrderStatus, code) ?? `UNKNOWN_${code}`;
}

export function channelName(code: number): string | undefined {
  return nameOf(PayChannel, code);
}

/**
 * The `:channel` of the notify path: the channel's name in any case
 * (`alipay`, `WECHAT`) or its number (`0`..`3`). Undefined when unknown.
 */
export function parseChannel(raw: string): PayChannel | undefined {
  if (/^\d{1,2}$/.test(raw)) {
    const n = Number(raw);
    return Object.values(PayChannel).includes(n as PayChannel) ? (n as PayChannel) : undefined;
  }
  const code = (PayChannel as Record<string, number>)[raw.toUpperCase()];
  return code === undefined ? undefined : (code as PayChannel);
}

/** The "coins recharged" event, published once per paid order (eventId = `recharge-paid:<orderId>`). */
export interface RechargePaidEvent {
  eventId: string;
  type: "recharge_paid";
  orderId: string;
  userId: number;
  productId: number;
  coins: number;
  /** Cents. */
  amount: number;
  tradeNo: string;
  bizCode: number;
  channel: string;
  /** Epoch ms, as reported by the provider. */
  paidAt: number;
  /** Epoch ms when Ovation recorded the payment. */
  recordedAt: number;
}

export function rechargeEventId(orderId: string): string {
  return `recharge-paid:${orderId}`;
}

export function rechargeBizId(orderId: string): string {
  return `recharge:${orderId}`;
}
