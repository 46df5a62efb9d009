// The transactional outbox (ARCHITECTURE.md, "Events after commit").
//
// Contract: an event that must follow a database change is written with
// `enqueueInTx` (or `enqueueManyInTx`) inside the transaction that makes the change. It therefore
// exists if and only if the change committed. The relay (relay.ts) later
// moves it to the event log. Every event carries a business-derived
// `eventId`, unique in the outbox (so it can never be enqueued twice) and
// present in the payload, so consumers dedupe redeliveries by it.
import type { Db } from "../store/store.ts";
import { rowPlaceholders, runRaw, statementFor } from "../store/raw.ts";

export interface OutboxEvent {
  /** Unique, derived from the business fact (e.g. `recharge-paid:<orderId>`); also inside `payload`. */
  eventId: string;
  /** Logical topic; the event log adds the namespace. */
  topic: string;
  /** Partition key: events with the same key keep their order within one relay batch. */
  key: string;
  payload: { eventId: string } & Record<string, unknown>;
}

export function enqueueInTx(trx: Db, event: OutboxEvent, now = Date.now()): Promise<void> {
  return enqueueManyInTx(trx, [event], now);
}

/** enqueueInTx for many events: one multi-row INSERT. */
export async function enqueueManyInTx(trx: Db, events: OutboxEvent[], now = Date.now()): Promise<void> {
  if (events.length === 0) return;
  for (const e of events) {
    if (e.payload.eventId !== e.eventId) throw new Error(`outbox event ${e.eventId}: payload carries another eventId`);
  }
  const text = statementFor(
    "outboxInsert",
    events.length,
    (n) => `insert into outbox (event_id, topic, msg_key, payload, create_time, published_time) values ${rowPlaceholders(n, 6)}`,
  );
  await runRaw(trx, text, events.flatMap((e) => [e.eventId, e.topic, e.key, JSON.stringify(e.payload), now, null]));
}
