// Recharge endpoints. The notify endpoint answers plain text
// (`success` / `fail`) for the provider, not the JSON envelope.
import { z } from "zod";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import { type AnyRoute, defineRoute } from "../lib/route.ts";
import { idField, queryInt } from "../lib/schemas.ts";
import type { WalletService } from "../wallet/service.ts";
import type { NotifyHandler } from "./notify.ts";
import { ORDER_ID_PATTERN, type PayOrders } from "./orders.ts";
import type { PayProducts } from "./products.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "./signature.ts";
import { PayChannel, PaySource } from "./types.ts";

/** A code from `table`, given as its number or its name (any case). */
function codeOrName<T extends Record<string, number>>(table: T) {
  const codes = Object.values(table) as number[];
  const message = `must be one of ${Object.entries(table).map(([k, v]) => `${v} (${k})`).join(", ")}, by number or name`;
  return z.union([z.number().int(), z.string().max(16)], { error: message }).transform((v, ctx) => {
    const code = typeof v === "number" ? v : (table as Record<string, number>)[v.toUpperCase()];
    if (code === undefined || !codes.includes(code)) {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    return code as T[keyof T];
  });
}

/** What the recharge routes call. */
export interface BankServices {
  wallet: WalletService;
  products: PayProducts;
  orders: PayOrders;
  notify: NotifyHandler;
  metrics: Metrics;
  log: Logger;
}

export const bankRoutes = (s: BankServices): AnyRoute[] => [
  defineRoute({
    method: "get",
    path: "/api/bank/products",
    summary: "Recharge products of a type (price descending) and my coin balance",
    tag: "bank",
    auth: "user",
    query: z.object({ type: queryInt(0, 255).default(0) }),
    handler: async ({ user, query }) => {
      const [account, products] = await Promise.all([s.wallet.account(user.userId), s.products.listValid(query.type)]);
      return {
        currentBalance: account.balance,
        products: products.map((p) => ({ id: p.id, name: p.name, price: p.price, coinNum: p.coinNum })),
      };
    },
  }),
  defineRoute({
    method: "post",
    path: "/api/bank/orders",
    summary: "Create a pay order for a recharge product; answers where to pay it",
    tag: "bank",
    auth: "user",
    status: 201,
    rateLimit: { limit: 20, windowSec: 60, message: "too many pay orders; at most 20 per minute" },
    body: z.object({ productId: idField, paySource: codeOrName(PaySource), payChannel: codeOrName(PayChannel) }),
    handler: async ({ user, body }) => {
      const order = await s.orders.create(user.userId, body);
      s.metrics.orders.inc({ kind: "pay_order", outcome: "created" });
      return order;
    },
  }),
  defineRoute({
    method: "get",
    path: "/api/bank/orders/:orderId",
    summary: "One of my pay orders",
    tag: "bank",
    auth: "user",
    params: z.object({ orderId: z.string().regex(ORDER_ID_PATTERN, "not an order id") }),
    handler: ({ user, params }) => s.orders.getOwn(user.userId, params.orderId),
  }),
  defineRoute({
    method: "post",
    path: "/api/bank/notify/:channel",
    summary: `Payment notification from the provider (signed: ${TIMESTAMP_HEADER}, ${SIGNATURE_HEADER}); answers text success/fail`,
    tag: "bank",
    auth: "public",
    plainText: true,
    handler: async ({ c }) => {
      try {
        const answer = await s.notify.handle({
          channel: c.req.param("channel") ?? "",
          timestamp: c.req.header(TIMESTAMP_HEADER),
          signature: c.req.header(SIGNATURE_HEADER),
          rawBody: await c.req.text(),
        });
        if (answer.status !== 200) s.log.info("payment notification refused", { status: answer.status, reason: answer.reason });
        s.metrics.orders.inc({ kind: "pay_order", outcome: answer.status === 200 ? answer.reason.replace(/ /g, "_") : `notify_refused_${answer.status}` });
        return c.text(answer.text, answer.status);
      } catch (err) {
        s.log.error("payment notification failed; the provider will retry", { err });
        s.metrics.orders.inc({ kind: "pay_order", outcome: "notify_error" });
        return c.text("fail", 500);
      }
    },
  }),
];
