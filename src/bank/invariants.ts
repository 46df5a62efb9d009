// Recharge invariants, run by scripts/check-invariants.ts (which lists them as
// R1..R5 in its header). Each returns one line per violation.
//
//   R1 per user and in total: Σ RECHARGE ledger rows = Σ coins of PAYED orders
//   R2 every PAYED order has its RECHARGE ledger row (business id
//      `recharge:<orderId>`, same user, its coins), and every RECHARGE ledger
//      row belongs to a PAYED order
//   R3 every account's total_charged = Σ of its RECHARGE ledger rows
//   R4 every PAYED order has exactly one `recharge-paid:<orderId>` outbox
//      event, and no such event exists for an order that is not PAYED
//   R5 (quiescent) no outbox row is still waiting for the relay
import { sql, type RawBuilder } from "kysely";
import type { Store } from "../store/store.ts";
import { TradeType } from "../wallet/types.ts";
import { PayOrderStatus } from "./types.ts";

const n = (v: unknown) => Number(v ?? 0);

const BIZ_PREFIX = "recharge:";
const EVENT_PREFIX = "recharge-paid:";

export async function checkRechargeInvariants(store: Store, opts: { quiescent?: boolean } = {}): Promise<string[]> {
  const db = store.db;
  const out: string[] = [];
  const PAYED = PayOrderStatus.PAYED;
  const RECHARGE = TradeType.RECHARGE;
  const prefixed = (prefix: string, column: string): RawBuilder<string> =>
    store.dialect === "mysql" ? sql<string>`CONCAT(${prefix}, ${sql.ref(column)})` : sql<string>`(${prefix} || ${sql.ref(column)})`;
  // SUBSTR(x, k) is 1-based on both dialects: the text after the prefix.
  const afterPrefix = (prefix: string, column: string): RawBuilder<string> => sql<string>`SUBSTR(${sql.ref(column)}, ${prefix.length + 1})`;

  // R1
  const ledger = await sql<{ user_id: number; coins: number }>`
    SELECT user_id AS user_id, SUM(num) AS coins FROM currency_trade WHERE type = ${RECHARGE} GROUP BY user_id`.execute(db);
  const paid = await sql<{ user_id: number; coins: number }>`
    SELECT user_id AS user_id, SUM(coin_num) AS coins FROM pay_order WHERE status = ${PAYED} GROUP BY user_id`.execute(db);
  const perUser = new Map<number, { ledger: number; paid: number }>();
  for (const r of ledger.rows) perUser.set(n(r.user_id), { ledger: n(r.coins), paid: 0 });
  for (const r of paid.rows) {
    const e = perUser.get(n(r.user_id)) ?? { ledger: 0, paid: 0 };
    e.paid = n(r.coins);
    perUser.set(n(r.user_id), e);
  }
  let totalLedger = 0;
  let totalPaid = 0;
  for (const [userId, e] of perUser) {
    totalLedger += e.ledger;
    totalPaid += e.paid;
    if (e.ledger !== e.paid) out.push(`R1 user ${userId}: Σ RECHARGE ledger ${e.ledger} ≠ Σ coins of PAYED orders ${e.paid}`);
  }
  if (totalLedger !== totalPaid) out.push(`R1 total: Σ RECHARGE ledger ${totalLedger} ≠ Σ coins of PAYED orders ${totalPaid}`);

  // R2
  const uncredited = await sql<{ order_id: string; user_id: number; coin_num: number; t_user: number | null; t_num: number | null; t_type: number | null }>`
    SELECT o.order_id AS order_id, o.user_id AS user_id, o.coin_num AS coin_num, t.user_id AS t_user, t.num AS t_num, t.type AS t_type
    FROM pay_order o LEFT JOIN currency_trade t ON t.biz_id = ${prefixed(BIZ_PREFIX, "o.order_id")}
    WHERE o.status = ${PAYED} AND (t.id IS NULL OR t.num <> o.coin_num OR t.user_id <> o.user_id OR t.type <> ${RECHARGE})`.execute(db);
  for (const r of uncredited.rows) {
    out.push(
      r.t_num === null
        ? `R2 order ${r.order_id}: PAYED without its RECHARGE ledger row`
        : `R2 order ${r.order_id}: PAYED for ${n(r.coin_num)} coins to user ${n(r.user_id)} but ledger row is ${n(r.t_num)} (type ${n(r.t_type)}) to user ${n(r.t_user)}`,
    );
  }
  const orphanCredits = await sql<{ biz_id: string; num: number }>`
    SELECT t.biz_id AS biz_id, t.num AS num FROM currency_trade t
    LEFT JOIN pay_order o ON o.order_id = ${afterPrefix(BIZ_PREFIX, "t.biz_id")} AND o.status = ${PAYED}
    WHERE t.type = ${RECHARGE} AND (o.id IS NULL OR ${sql.ref("t.biz_id")} <> ${prefixed(BIZ_PREFIX, "o.order_id")})`.execute(db);
  for (const r of orphanCredits.rows) out.push(`R2 ledger ${r.biz_id}: RECHARGE of ${n(r.num)} without a PAYED order`);

  // R3
  const charged = await sql<{ user_id: number; total_charged: number; recharged: number }>`
    SELECT a.user_id AS user_id, a.total_charged AS total_charged, COALESCE(SUM(t.num), 0) AS recharged
    FROM currency_account a LEFT JOIN currency_trade t ON t.user_id = a.user_id AND t.type = ${RECHARGE}
    GROUP BY a.user_id, a.total_charged`.execute(db);
  for (const r of charged.rows) {
    if (n(r.total_charged) !== n(r.recharged)) out.push(`R3 user ${r.user_id}: total_charged ${n(r.total_charged)} ≠ Σ RECHARGE ledger ${n(r.recharged)}`);
  }

  // R4
  const events = await sql<{ order_id: string; events: number }>`
    SELECT o.order_id AS order_id, COUNT(x.id) AS events FROM pay_order o
    LEFT JOIN outbox x ON x.event_id = ${prefixed(EVENT_PREFIX, "o.order_id")}
    WHERE o.status = ${PAYED} GROUP BY o.order_id HAVING COUNT(x.id) <> 1`.execute(db);
  for (const r of events.rows) out.push(`R4 order ${r.order_id}: PAYED with ${n(r.events)} payment events (expected 1)`);
  const strayEvents = await sql<{ event_id: string }>`
    SELECT x.event_id AS event_id FROM outbox x
    LEFT JOIN pay_order o ON o.order_id = ${afterPrefix(EVENT_PREFIX, "x.event_id")} AND o.status = ${PAYED}
    WHERE x.event_id LIKE ${EVENT_PREFIX + "%"} AND o.id IS NULL`.execute(db);
  for (const r of strayEvents.rows) out.push(`R4 event ${r.event_id}: payment event for an order that is not PAYED`);

  // R5
  if (opts.quiescent) {
    const pending = await sql<{ c: number }>`SELECT COUNT(*) AS c FROM outbox WHERE published_time IS NULL`.execute(db);
    const c = n(pending.rows[0]?.c);
    if (c > 0) out.push(`R5 outbox: ${c} event(s) not yet relayed with nothing in flight`);
  }
  return out;
}
