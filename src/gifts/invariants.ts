// Gift invariants, run by scripts/check-invariants.ts. Each returns one line
// per violation.
//
//   C3 every SEND_GIFT ledger row has exactly one gift record (same business
//      id, price = −amount), and every gift record has its ledger row
//   C4 no send is both a success and a failure
import { sql } from "kysely";
import type { Store } from "../store/store.ts";
import { TradeType } from "../wallet/types.ts";

const n = (v: unknown) => Number(v ?? 0);

export async function checkGiftInvariants(store: Store): Promise<string[]> {
  const db = store.db;
  const violations: string[] = [];

  // C3
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

  // C4
  const both = await sql<{ biz_id: string }>`
    SELECT f.biz_id AS biz_id FROM gift_send_failure f JOIN gift_record g ON g.biz_id = f.biz_id`.execute(db);
  for (const b of both.rows) violations.push(`C4 send ${b.biz_id}: both a success and a failure`);
  return violations;
}
