// The event log: how accepted work reaches the truth, and how other services
// hear about what happened. Two adapters implement this contract — kafkajs
// (cluster) and a durable table in the SQLite file (embedded) — and one
// contract suite (eventlog.contract.test.ts) runs on both.
//
// Delivery is at least once. A consumer receives batches; the batch's
// position is committed only after `handle` resolves, so work made durable by
// `handle` is never skipped, and a crash (or a throw) after the work is
// durable but before the commit redelivers the batch. Handlers are therefore
// idempotent by a business id (ARCHITECTURE.md). Messages with the same key
// are delivered in publish order.
import type { Db } from "../store/store.ts";

export interface LogRecord {
  key: string;
  value: string;
}

export interface LogMessage extends LogRecord {
  topic: string;
  /** Partition (0 in the embedded log). */
  partition: number;
  /** Position within the partition, as a decimal string. */
  offset: string;
}

export interface ConsumeOptions {
  topic: string;
  group: string;
  /** Upper bound on messages per handle call. */
  maxBatch: number;
  /**
   * How many partitions' batches may be handled at once (default 1). Above 1,
   * `handle` runs concurrently for batches of DIFFERENT partitions — records of
   * one key stay in order — so it must be safe under that. The embedded log
   * has one partition and ignores it.
   */
  concurrentPartitions?: number;
  handle: (batch: LogMessage[]) => Promise<void>;
  /** Called when handle throws; the batch is then retried after a back-off. */
  onError?: (error: unknown, batch: LogMessage[]) => void;
}

export interface LogConsumer {
  /** Finishes the batch in flight (committing it if it succeeds), then stops. */
  stop(): Promise<void>;
  /** Messages published but not yet committed by this group, as last observed. */
  lag(): number;
}

export interface EventLog {
  /** Publishes records; resolves once they are durable in the log. */
  publish(topic: string, records: LogRecord[]): Promise<void>;
  /**
   * Publishes records on behalf of a store transaction that is still open
   * (`trx`), for a caller that will commit "these were published" in it —
   * the outbox relay marking its rows.
   *
   * Contract: when this resolves, the caller may commit; what a crash or a
   * rollback of `trx` then means depends on the adapter, and callers must
   * be correct under both:
   * - SQLite (embedded): the records are appended inside `trx` itself, so
   *   they exist if and only if `trx` commits — publish and mark are
   *   atomic, exactly once. `trx` must be a transaction of the store this
   *   log was opened on (the same file).
   * - Kafka (cluster): the records are published and acknowledged by the
   *   brokers before this resolves; `trx` is not touched. A crash or a
   *   rollback after that leaves them published, and the caller will
   *   publish them again: at least once, never lost.
   */
  publishWithin(trx: Db, topic: string, records: LogRecord[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<LogConsumer>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
