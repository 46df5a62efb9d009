export const TradeType = {
  SEND_GIFT: 0,
  RECHARGE: 1,
  SHOP_ORDER_PAY: 2,
  ADMIN_GRANT: 3,
  REFUND: 4,
} as const;
export type TradeType = (typeof TradeType)[keyof typeof TradeType];

export const TRADE_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(TradeType).map(([name, code]) => [code, name]),
);

export const AccountStatus = { ACTIVE: 0, FROZEN: 1 } as const;

export interface Account {
  userId: number;
  balance: number;
  totalCharged: number;
  status: number;
  version: number;
  creditVersion: number;
  /** When the row was read (Date.now()): a hot-store load refuses an old read (admissions.ts). */
  readAt: number;
}

/** Why the database refused a debit the hot store had admitted. */
export type DebitRefusal = "account_frozen" | "insufficient_balance";

export type DebitResult = { ok: true } | { ok: false; reason: DebitRefusal };
