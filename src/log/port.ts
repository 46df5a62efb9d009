// The event log: how accepted work reaches the truth, and how other services
// hear about what happened. Two adapters implement this contract — kafkajs
// (cluster) and a durable table in the SQLite file (embedded) — and one
// contract suite (log.contract.test.ts) runs on both.
//
// Delivery is at least once. A consumer receives batches; the batch's
// position is committed only after `handle` resolves, so work made durable by
// `handle` is never skipped, and a crash (or a throw) after the work is
// durable but before the commit redelivers the batch. Handlers are therefore
// idempotent by a business id (ARCHITECTURE.md). Messages with the same key
// are delivered in publish order.

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
  readonly kind: "kafka" | "sqlite";
  publish(topic: string, records: LogRecord[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<LogConsumer>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
