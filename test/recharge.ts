// Helpers shared by the recharge test files: sending notifications over real
// HTTP, and a snapshot of everything a notification may change.
import type { Deps } from "../src/deps.ts";
import type { Client } from "./harness.ts";
import { signedHeaders } from "../src/bank/signature.ts";
import { PayChannel } from "../src/bank/types.ts";

export interface CreatedOrder {
  orderId: string;
  status: string;
  amount: number;
  payUrl: string;
}

export async function createOrder(client: Client, userId: number, productId = 6, payChannel: number | string = PayChannel.ALIPAY): Promise<CreatedOrder> {
  const r = await client.call<CreatedOrder>("POST", "/api/bank/orders", {
    as: { userId, role: "viewer" },
    body: { productId, paySource: 2, payChannel },
  });
  if (r.status !== 201) throw new Error(`order creation answered ${r.status} ${r.msg}`);
  return r.data;
}

export function notificationBody(orderId: string, amount: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ orderId, amount, tradeNo: `T-${orderId}`, bizCode: 10001, paidAt: Date.now(), ...extra });
}

/** POSTs a notification; signed with `secret` unless `headers` are given. */
export async function notify(
  baseUrl: string,
  secret: string,
  body: string,
  opts: { channel?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${baseUrl}/api/bank/notify/${opts.channel ?? "alipay"}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(opts.headers ?? signedHeaders(secret, body)) },
    body,
  });
  return { status: res.status, text: await res.text() };
}

/** Everything about a user and an order that a notification may change. */
export async function moneySnapshot(deps: Deps, userId: number, orderId: string) {
  const db = deps.store.db;
  const order = await db.selectFrom("pay_order").select(["status", "pay_time", "trade_no", "update_time"]).where("order_id", "=", orderId).executeTakeFirst();
  const account = await db.selectFrom("currency_account").select(["current_balance", "total_charged", "version"]).where("user_id", "=", userId).executeTakeFirst();
  const trades = await db.selectFrom("currency_trade").select(["biz_id", "num", "type"]).where("user_id", "=", userId).orderBy("id").execute();
  const outbox = await db.selectFrom("outbox").select(["event_id"]).orderBy("id").execute();
  const norm = (o: object | undefined) => (o ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? null : typeof v === "string" ? v : Number(v)])) : null);
  return { order: norm(order), account: norm(account), trades: trades.map(norm), outbox: outbox.map((r) => r.event_id) };
}
