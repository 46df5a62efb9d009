// Embedded event log: a durable table (`event_log`) in the SQLite file, with
// each group's position in `event_offset`. One in-process worker per consumer
// reads rows past its position in id order, hands them to `handle`, and only
// then advances the position — the port's at-least-once contract.
//
// Why id order is safe: SQLite has one writer at a time and ids are assigned
// inside the write transaction, so a row with a smaller id is always committed
// before one with a larger id becomes visible; reading `id > last_id` can never
// step over a row that commits later.
//
// Publishing is group-committed (group-commit.ts): the records of every
// publish() waiting in one short tick are appended in ONE transaction, and
// each caller resolves when it commits — a burst of sends costs one write
// transaction per tick on the single connection, not one per send. A failed
// transaction rejects every caller in it and leaves none of their rows.
//
// There is a single partition (0); the offset is the row id, so offsets of one
// topic increase but are not contiguous (topics share the id sequence).
//
// Consumers of the same group and topic on one log instance take turns: the
// second waits as a standby until the first stops, as an extra Kafka group
// member would sit without partitions. The embedded profile runs one process,
// so one instance per store is the expected shape.
import { runRaw, statementFor } from "../store/raw.ts";
import type { Db, Store } from "../store/store.ts";
import { backoffDelay, DEFAULT_RETRY_BACKOFF, type RetryBackoff } from "../lib/backoff.ts";
import { StopLatch } from "../lib/stop-latch.ts";
import { checkConsumeOptions, handleUntilDone } from "./delivery.ts";
import { createGroupCommit, EventLogClosedError, type GroupCommitOptions } from "./group-commit.ts";
import type { ConsumeOptions, EventLog, LogConsumer, LogMessage, LogRecord } from "./port.ts";

export interface SqliteEventLogOptions {
  /** Prefix for topics and groups, so several tenants of one file stay apart. */
  namespace: string;
  /** How often an idle consumer looks for rows written without a wake-up (ms). */
  pollIntervalMs?: number;
  retryBackoff?: RetryBackoff;
  /** Group commit of publish(): linger and records per transaction. */
  publishing?: Partial<GroupCommitOptions>;
}

/** No caller bound: a local transaction fails or commits on its own (busy_timeout bounds a lock wait). */
const DEFAULT_PUBLISHING: GroupCommitOptions = { lingerMs: 1, maxRecords: 2000 };

/** Rows per INSERT: well under SQLite's bound-parameter limit at 2 per row. */
const INSERT_CHUNK = 1000;

/** `(?1, ?3, ?4, ?2), (?1, ?5, ?6, ?2), …` — n rows sharing the topic (?1) and the time (?2). */
function rowsOfOneTopic(n: number): string {
  return Array.from({ length: n }, (_, i) => `(?1, ?${3 + 2 * i}, ?${4 + 2 * i}, ?2)`).join(", ");
}

/**
 * Appends `records` in multi-row INSERTs whose text is built once per row
 * count (src/store/raw.ts): every send is appended here, and Kysely's
 * building and compiling of a fresh multi-row tree per append was a tenth of
 * a send's CPU in process.
 */
async function insertRecords(db: Db, topic: string, records: LogRecord[]): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < records.length; i += INSERT_CHUNK) {
    const rows = Math.min(INSERT_CHUNK, records.length - i);
    // The topic (?1) and the time (?2) are bound once for every row of the chunk.
    const text = statementFor("appendEventLog.sqlite", rows, (n) => `insert into event_log (topic, msg_key, payload, create_time) values ${rowsOfOneTopic(n)}`);
    const params: unknown[] = [topic, now];
    for (let j = i; j < i + rows; j++) params.push(records[j]!.key, records[j]!.value);
    await runRaw(db, text, params);
  }
}

// The statements every consumer batch runs, as fixed texts (src/store/raw.ts):
// Kysely would build and compile them again for each batch.
const READ_AFTER = "select id, msg_key, payload from event_log where topic = ? and id > ? order by id limit ?";
/** The backlog behind a full read (the lag gauge). */
const COUNT_AFTER = "select count(*) as n from event_log where topic = ? and id > ?";
/** max() keeps a position from ever moving backwards. */
const COMMIT_POSITION =
  "insert into event_offset (group_id, topic, last_id) values (?, ?, ?) on conflict (group_id, topic) do update set last_id = max(last_id, excluded.last_id)";

export function createSqliteEventLog(store: Store, opts: SqliteEventLogOptions): EventLog {
  const db = store.db;
  const pollIntervalMs = opts.pollIntervalMs ?? 100;
  const backoff = opts.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
  const full = (name: string) => `${opts.namespace}.${name}`;

  /** Wake-up callbacks of idle consumers, by full topic name. */
  const idle = new Map<string, Set<() => void>>();
  /** Tail of the turn-taking chain per group+topic. */
  const turns = new Map<string, Promise<void>>();
  const consumers = new Set<LogConsumer>();
  let closed = false;

  const publishing = createGroupCommit(
    async (batch) => {
      await db.transaction().execute(async (trx) => {
        for (const [name, records] of batch) await insertRecords(trx, name, records);
      });
      for (const name of batch.keys()) nudge(name);
    },
    { ...DEFAULT_PUBLISHING, ...opts.publishing },
  );

  const idleSet = (topic: string) => {
    let set = idle.get(topic);
    if (!set) idle.set(topic, (set = new Set()));
    return set;
  };
  const nudge = (topic: string) => {
    for (const wake of [...(idle.get(topic) ?? [])]) wake();
  };

  async function consume(options: ConsumeOptions): Promise<LogConsumer> {
    checkConsumeOptions(options);
    if (closed) throw new EventLogClosedError();
    const topic = full(options.topic);
    const group = full(options.group);
    const stop = new StopLatch();
    let lastLag = 0;

    // Take a turn: wait for the previous consumer of this group+topic to end.
    const turnKey = `${group}\u0000${topic}`;
    const previous = turns.get(turnKey) ?? Promise.resolve();
    let endTurn!: () => void;
    const myTurn = new Promise<void>((resolve) => (endTurn = resolve));
    const tail = previous.then(() => myTurn);
    turns.set(turnKey, tail);

    const readPosition = async (): Promise<number> => {
      const row = await db
        .selectFrom("event_offset")
        .select("last_id")
        .where("group_id", "=", group)
        .where("topic", "=", topic)
        .executeTakeFirst();
      return Number(row?.last_id ?? 0);
    };

    const commit = async (lastId: number): Promise<void> => {
      await runRaw(db, COMMIT_POSITION, [group, topic, lastId]);
    };

    const countAfter = async (lastId: number): Promise<number> => {
      const { rows } = await runRaw<{ n: number }>(db, COUNT_AFTER, [topic, lastId]);
      return Number(rows[0]?.n ?? 0);
    };

    const work = async (): Promise<void> => {
      await Promise.race([previous, stop.stopped]);
      let lastId = -1;
      let failures = 0;
      while (!stop.fired) {
        let batch: LogMessage[] = [];
        try {
          if (lastId < 0) lastId = await readPosition();
          const { rows } = await runRaw<{ id: number; msg_key: string; payload: string }>(db, READ_AFTER, [topic, lastId, options.maxBatch]);
          if (rows.length === 0) {
            lastLag = 0;
            await stop.wait(pollIntervalMs, idleSet(topic));
            continue;
          }
          // A short read means nothing else is waiting; only a full one needs a count.
          lastLag = rows.length < options.maxBatch ? rows.length : await countAfter(lastId);
          batch = rows.map((r) => ({
            topic: options.topic,
            partition: 0,
            offset: String(r.id),
            key: r.msg_key,
            value: r.payload,
          }));
          const done = await handleUntilDone(batch, options, backoff, () => stop.fired, (ms) => stop.wait(ms));
          if (!done) break;
          const newLast = rows[rows.length - 1]!.id;
          await commit(newLast);
          lastId = newLast;
          lastLag = Math.max(0, lastLag - rows.length);
          failures = 0;
        } catch (error) {
          // The log's own reads or the commit failed (not the handler): keep the
          // position where it was, report, and try again after a back-off.
          try {
            options.onError?.(error, batch);
          } catch {
            // Reporting must not end the worker.
          }
          await stop.wait(backoffDelay(backoff, failures++));
        }
      }
    };

    const running = work().finally(() => {
      endTurn();
      if (turns.get(turnKey) === tail) turns.delete(turnKey);
    });

    let stopping: Promise<void> | undefined;
    const consumer: LogConsumer = {
      stop: () => {
        stopping ??= (async () => {
          stop.fire();
          await running;
          consumers.delete(consumer);
        })();
        return stopping;
      },
      lag: () => lastLag,
    };
    consumers.add(consumer);
    return consumer;
  }

  return {
    publish: (topic, records) => publishing.publish(full(topic), records),
    // The rows become visible when the caller's transaction commits. Idle
    // consumers are nudged at once: under the single-connection SQLite driver
    // their read waits for the commit, and the poll interval catches the rest.
    async publishWithin(trx, topic, records) {
      if (closed) throw new EventLogClosedError();
      if (records.length === 0) return;
      const name = full(topic);
      await insertRecords(trx, name, records);
      nudge(name);
    },
    consume,
    ping: () => store.ping(),
    async close() {
      closed = true;
      await publishing.close();
      await Promise.all([...consumers].map((c) => c.stop()));
    },
  };
}
