import { z } from "zod";
import { type AnyRoute, defineRoute } from "../lib/route.ts";
import { cursorQuery, idField, requestIdField } from "../lib/schemas.ts";
import type { WalletService } from "./service.ts";

/** What the wallet routes call. */
export interface WalletServices {
  wallet: WalletService;
}

export const walletRoutes = (s: WalletServices): AnyRoute[] => [
  defineRoute({
    method: "get",
    path: "/api/wallet",
    summary: "My coin wallet; the account appears at first touch",
    tag: "wallet",
    auth: "user",
    handler: ({ user }) => s.wallet.getWallet(user.userId),
  }),
  defineRoute({
    method: "get",
    path: "/api/wallet/trades",
    summary: "My ledger rows, newest first",
    tag: "wallet",
    auth: "user",
    query: cursorQuery,
    handler: ({ user, query }) => s.wallet.listTrades(user.userId, query.cursor, query.limit),
  }),
  defineRoute({
    method: "post",
    path: "/api/admin/wallet/grant",
    summary: "Credit coins to a user (ADMIN_GRANT), once per requestId",
    tag: "admin",
    auth: ["admin"],
    body: z.object({
      userId: idField,
      amount: z.number().int().positive().max(1_000_000_000),
      requestId: requestIdField,
    }),
    handler: ({ body }) => s.wallet.grant(body),
  }),
];
