// The transactional outbox (ARCHITECTURE.md, "Events after commit").
//
// Contract: an event that must follow a database change is written with
// `enqueueInTx` inside the transaction that makes the change. It therefore
// exists if and only if the change committed. The relay (relay.ts) later
// moves it to the event log. Every event carries a business-derived
// `eventId`, unique in the outbox (so it can never be enqueued twice) and
// present in the payload, so consumers dedupe redeliveries by it.
import type { Db } from "../store/store.ts";

export interface OutboxEvent {
  /** Unique, derived from the business fact (e.g. `recharge-paid:<orderId>`); also inside `payload`. */
  eventId: string;
  /** Logical topic; the event log adds the namespace. */
  topic: string;
  /** Partition key: events with the same key keep their order within one relay batch. */
  key: string;
  payload: { eventId: string } & Record<string, unknown>;
}

export async function enqueueInTx(trx: Db, event: OutboxEvent, now = Date.now()): Promise<void> {
  if (event.payload.eventId !== event.eventId) throw new Error(`outbox event ${event.eventId}: payload carries another eventId`);
  await trx
    .insertInto("outbox")
    .values({
      event_id: event.eventId,
      topic: event.topic,
      msg_key: event.key,
      payload: JSON.stringify(event.payload),
      create_time: now,
      published_time: null,
    })
    .execute();
}
