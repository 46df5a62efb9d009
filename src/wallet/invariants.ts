// Coin invariants, run by scripts/check-invariants.ts. Each returns one line
// per violation.
//
//   C1 every account's balance = Σ of its ledger rows (and no ledger row
//      without an account)
//   C2 no balance below zero
//   C5 hot available within [0, balance]; = balance when quiescent
//   C6 no admission left unfinished — pending or claimed, both in the hot
//      store's pending index — when quiescent: every admitted debit was
//      settled or refunded
import { sql } from "kysely";
import type { Hot } from "../hot/index.ts";
import type { Store } from "../store/store.ts";

const n = (v: unknown) => Number(v ?? 0);

export async function checkWalletInvariants(store: Store, hot: Hot, opts: { quiescent?: boolean } = {}): Promise<string[]> {
  const db = store.db;
  const violations: string[] = [];

  // C1, C2
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

  // C5. Hot first, then the database: credits reach the database before the
  // hot store and debits the hot store before the database, so in this order
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
  // C6
  if (opts.quiescent) {
    const pending = await hot.coins.countPending();
    if (pending > 0) violations.push(`C6 ${pending} admission(s) still pending or claimed with nothing in flight`);
  }
  return violations;
}
