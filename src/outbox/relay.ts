// The outbox relay: moves committed outbox rows to the event log.
//
// Contract
// - Every committed outbox row reaches the event log. In the normal case once;
//   across a crash at least once (the event carries its eventId, consumers
//   dedupe by it).
// - One transaction claims a batch, marks it published and hands it to the
//   event log with `publishWithin` before committing. What that means is the
//   event log's contract (eventlog/port.ts):
//   - embedded (SQLite store + SQLite event log, same file): the rows are
//     appended inside this transaction, so an event is moved exactly once
//     even across crashes. Two processes on one file cannot both move a
//     row: the second writer's snapshot is stale and SQLite refuses its
//     write (or the conditional mark finds fewer rows than it read and rolls
//     back).
//   - cluster (MySQL store + Kafka): the claim is `SELECT … FOR UPDATE SKIP
//     LOCKED` (MariaDB ≥ 10.6, MySQL 8), so concurrent relays in other
//     processes skip the locked rows and take the next ones; the batch is
//     acknowledged by Kafka before the mark commits. A crash after the
//     publish and before the commit releases the locks and the rows are
//     published again: at least once.
// - Order: within a batch, rows go out in id order per topic. Across
//   concurrent relays (cluster) two batches may interleave, so consumers must
//   not rely on order between events of different batches; events carry the
//   facts they announce rather than deltas that need order.
//
// Runs in the background of every process as a worker (lib/worker.ts),
// polling a few times a second and woken at once by `wake()` after a commit
// in this process. No lease: concurrent relays are safe by the rules above.
import type { EventLog, LogRecord } from "../eventlog/port.ts";
import type { Logger } from "../lib/logger.ts";
import { createWorker, type Worker } from "../lib/worker.ts";
import { affected, type Db, type Store } from "../store/store.ts";

export interface OutboxRelayOptions {
  store: Store;
  events: EventLog;
  logger: Logger;
  /** How often an idle relay looks for rows committed by other processes (ms). */
  pollIntervalMs?: number;
  /** Rows per transaction. */
  batchSize?: number;
}

/** start / stop (finishing the batch in flight) / wake (a transaction here just committed outbox rows). */
export type OutboxRelay = Worker;

type OutboxRow = { id: number; topic: string; msg_key: string; payload: string };

/** Rows grouped by topic, each group in id order. */
function byTopic(rows: OutboxRow[]): Map<string, LogRecord[]> {
  const groups = new Map<string, LogRecord[]>();
  for (const r of rows) {
    let g = groups.get(r.topic);
    if (!g) groups.set(r.topic, (g = []));
    g.push({ key: r.msg_key, value: r.payload });
  }
  return groups;
}

class RelayRace extends Error {}

/** Another relay got there first: SQLite refused our stale write, or the conditional mark came up short. */
const lostRace = (err: unknown) => err instanceof RelayRace || /SQLITE_BUSY|database is locked/i.test(String((err as Error)?.message));

export function createOutboxRelay(opts: OutboxRelayOptions): OutboxRelay {
  const { store, events, logger } = opts;
  const pollIntervalMs = opts.pollIntervalMs ?? 250;
  const batchSize = opts.batchSize ?? 100;

  /** The oldest unpublished rows; on MySQL locked, skipping rows another relay holds. */
  const claim = (trx: Db): Promise<OutboxRow[]> => {
    const query = trx
      .selectFrom("outbox")
      .select(["id", "topic", "msg_key", "payload"])
      .where("published_time", "is", null)
      .orderBy("id")
      .limit(batchSize);
    return (store.dialect === "mysql" ? query.forUpdate().skipLocked() : query).execute() as Promise<OutboxRow[]>;
  };

  const moveBatch = async (trx: Db): Promise<number> => {
    const rows = await claim(trx);
    if (rows.length === 0) return 0;
    const marked = await trx
      .updateTable("outbox")
      .set({ published_time: Date.now() })
      .where("id", "in", rows.map((r) => Number(r.id)))
      .where("published_time", "is", null)
      .executeTakeFirst();
    if (affected(marked) !== rows.length) throw new RelayRace("another relay moved some of these rows first");
    for (const [topic, records] of byTopic(rows)) await events.publishWithin(trx, topic, records);
    return rows.length;
  };

  // MySQL runs it READ COMMITTED: the locking read then takes record locks
  // only, no gap locks, so transactions inserting new outbox rows never wait
  // for a publish.
  const relayBatch = (): Promise<number> =>
    store.dialect === "mysql"
      ? store.db.transaction().setIsolationLevel("read committed").execute(moveBatch)
      : store.db.transaction().execute(moveBatch);

  return createWorker({
    name: "outbox relay",
    logger,
    idleMs: pollIntervalMs,
    // A full batch means more may be waiting: go again without sleeping.
    round: async () => (await relayBatch()) === batchSize,
    isExpectedError: lostRace,
  });
}
