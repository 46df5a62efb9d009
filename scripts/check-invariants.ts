// The invariant checker (SPEC §5): reads the store and the hot store and
// lists every violation it finds. Tests and load runs end by calling it.
//
//   bun run scripts/check-invariants.ts [--quiescent]
//
// reads the same environment as the server. Exit status 1 when anything is
// violated. --quiescent (no sends in flight) also demands hot `available`
// = database balance for every loaded wallet.
//
// Coins:
//   C1 every account's balance = Σ of its ledger rows
//   C2 no balance below zero
//   C3 every SEND_GIFT ledger row has exactly one gift record (same business
//      id, price = −amount), and every gift record has its ledger row
//   C4 no send is both a success and a failure
//   C5 hot available within [0, balance]; = balance when quiescent
//
// Recharge (src/bank/invariants.ts):
//   R1 per user and in total: Σ RECHARGE ledger rows = Σ coins of PAYED orders
//   R2 every PAYED order has its RECHARGE ledger row (same user, its coins),
//      and every RECHARGE ledger row belongs to a PAYED order
//   R3 every account's total_charged = Σ of its RECHARGE ledger rows
//   R4 every PAYED order has exactly one payment event in the outbox, and
//      no payment event exists for an order that is not PAYED
//   R5 no outbox row still waiting for the relay, when quiescent
import { sql } from "kysely";
import type { Hot } from "../src/hot/index.ts";
import type { Store } from "../src/store/store.ts";
import { TradeType } from "../src/wallet/types.ts";
import { checkRechargeInvariants } from "../src/bank/invariants.ts";

export interface CheckOptions {
  quiescent?: boolean;
}

const n = (v: unknown) => Number(v ?? 0);

export async function checkInvariants(store: Store, hot: Hot, opts: CheckOptions = {}): Promise<string[]> {
  const db = store.db;
  const violations: string[] = [];

  const accounts = await sql<{ user_id: number; balance: number; ledger: number }>`
    SELECT a.user_id AS user_id, a.current_balance AS balance, COALESCE(SUM(t.num), 0) AS ledger
    FROM currency_account a LEFT JOIN currency_trade t ON t.user_id = a.user_id
    GROUP BY a.user_id, a.current_balance`.execute(db);
  for (const a of accounts.rows) {
    if (n(a.balance) !== n(a.ledger)) violations.push(`C1 user ${a.user_id}: balance ${n(a.balance)} ≠ Σ ledger ${n(a.ledger)}`);
    if (n(a.balance) < 0) violations.push(`C2 user ${a.user_id}: balance ${n(a.balance)} is negative`);
  }
  const orphans = await sql<{ user_id: number }>`
    SELECT DISTINCT t.user_id AS user_id FROM currency_trade t
    LEFT JOIN currency_account a ON a.user_id = t.user_id WHERE a.user_id IS NULL`.execute(db);
  for (const o of orphans.rows) violations.push(`C1 user ${o.user_id}: ledger rows without an account`);

  const unmatchedTrades = await sql<{ biz_id: string; num: number; price: number | null }>`
    SELECT t.biz_id AS biz_id, t.num AS num, g.price AS price FROM currency_trade t
    LEFT JOIN gift_record g ON g.biz_id = t.biz_id
    WHERE t.type = ${TradeType.SEND_GIFT} AND (g.id IS NULL OR g.price <> -t.num)`.execute(db);
  for (const t of unmatchedTrades.rows) {
    violations.push(
      t.price === null
        ? `C3 send ${t.biz_id}: debited ${-n(t.num)} without a gift record`
        : `C3 send ${t.biz_id}: debited ${-n(t.num)} but recorded price ${n(t.price)}`,
    );
  }
  const unpaidRecords = await sql<{ biz_id: string }>`
    SELECT g.biz_id AS biz_id FROM gift_record g
    LEFT JOIN currency_trade t ON t.biz_id = g.biz_id AND t.type = ${TradeType.SEND_GIFT}
    WHERE t.id IS NULL`.execute(db);
  for (const g of unpaidRecords.rows) violations.push(`C3 send ${g.biz_id}: gift record without a debit`);

  const both = await sql<{ biz_id: string }>`
    SELECT f.biz_id AS biz_id FROM gift_send_failure f JOIN gift_record g ON g.biz_id = f.biz_id`.execute(db);
  for (const b of both.rows) violations.push(`C4 send ${b.biz_id}: both a success and a failure`);

  // Hot first, then the database: credits reach the database before the hot
  // store and debits the hot store before the database, so in this order
  // available ≤ balance holds at every instant, under load too.
  const hotAvailable = new Map<number, number | null>();
  for (const a of accounts.rows) hotAvailable.set(n(a.user_id), await hot.coins.getAvailable(n(a.user_id)));
  const balances = new Map(
    (await db.selectFrom("currency_account").select(["user_id", "current_balance"]).execute()).map((r) => [n(r.user_id), n(r.current_balance)]),
  );
  for (const a of accounts.rows) {
    const available = hotAvailable.get(n(a.user_id));
    if (available === null || available === undefined) continue;
    const balance = balances.get(n(a.user_id)) ?? 0;
    if (available < 0) violations.push(`C5 user ${a.user_id}: hot available ${available} is negative`);
    if (available > balance) violations.push(`C5 user ${a.user_id}: hot available ${available} exceeds balance ${balance}`);
    if (opts.quiescent && available !== balance) {
      violations.push(`C5 user ${a.user_id}: hot available ${available} ≠ balance ${balance} with nothing in flight`);
    }
  }
  violations.push(...(await checkRechargeInvariants(store, opts)));
  return violations;
}

if (import.meta.main) {
  const { loadConfig } = await import("../src/config.ts");
  const { createDeps } = await import("../src/deps.ts");
  const deps = await createDeps(loadConfig());
  const violations = await checkInvariants(deps.store, deps.hot, { quiescent: process.argv.includes("--quiescent") });
  await deps.close();
  for (const v of violations) console.log(v);
  console.log(violations.length === 0 ? "invariants hold" : `${violations.length} violation(s)`);
  process.exit(violations.length === 0 ? 0 : 1);
}
