// Group commit for publish(): concurrent callers are coalesced into one write
// (one producer.send on Kafka, one transaction on SQLite), so a burst of
// sends costs one durable write per short tick instead of one per send.
//
// Contract (what each caller of publish() is promised):
// - it resolves only after the write that carried ITS records succeeded
//   (durable in the log: acks=all / committed);
// - it rejects when that write failed — every caller in a failed write is
//   rejected, and records of a failed SQLite write do not exist; a failed
//   Kafka write may still have stored some of them (a timeout after the
//   broker wrote), which idempotent consumers and the send path's cancel
//   absorb (docs/crash-windows.md);
// - with `timeoutMs`, it settles within that bound of the call: a caller
//   still waiting for its turn is then dropped from the queue (its records
//   are never written later), one whose write is in flight is rejected while
//   the write finishes or fails on its own;
// - publish order is kept: callers are written in call order, one write in
//   flight at a time, so records with the same key keep their order (a write
//   abandoned at `timeoutMs` may still land after the next one; its callers
//   were told it failed);
// - after close() begins, publish() rejects; close() resolves once every
//   record accepted before it has been written or rejected.
//
// When a write starts: at once if `maxRecords` are waiting, else after
// `lingerMs` from the first waiting caller — or, while a write is in flight,
// as soon as it ends (callers that arrived meanwhile already waited).
//
// A thin adapter over the general group commit (src/lib/group-commit.ts):
// one write in flight at a time, a caller's records counted as its size.
import { groupCommit } from "../lib/group-commit.ts";
import type { LogRecord } from "./port.ts";

export interface GroupCommitOptions {
  /** How long the first waiting caller waits for company before a write starts (ms). */
  lingerMs: number;
  /** A write starts at once when this many records wait; also the most one write carries (a caller's own records are never split). */
  maxRecords: number;
  /** Each caller settles within this many ms of its call; undefined for no bound. */
  timeoutMs?: number;
}

/** Records of one write, by (full) topic name, each topic's records in call order. */
export type TopicRecords = Map<string, LogRecord[]>;

export class PublishTimeoutError extends Error {
  constructor(ms: number) {
    super(`publish was not acknowledged within ${ms} ms`);
    this.name = "PublishTimeoutError";
  }
}

export class EventLogClosedError extends Error {
  constructor() {
    super("event log is closed");
    this.name = "EventLogClosedError";
  }
}

export interface GroupCommit {
  publish(topic: string, records: LogRecord[]): Promise<void>;
  /** Refuses new publishes and waits until everything accepted before has been written or rejected. */
  close(): Promise<void>;
}

export function createGroupCommit(write: (batch: TopicRecords) => Promise<void>, opts: GroupCommitOptions): GroupCommit {
  const commits = groupCommit<{ topic: string; records: LogRecord[] }, void>(
    async (items) => {
      const batch: TopicRecords = new Map();
      for (const { topic, records } of items) {
        const list = batch.get(topic);
        if (list) list.push(...records);
        else batch.set(topic, [...records]);
      }
      await write(batch);
      return items.map(() => ({ status: "fulfilled", value: undefined }));
    },
    { lingerMs: opts.lingerMs, maxSize: opts.maxRecords, maxInFlight: 1, timeoutMs: opts.timeoutMs },
    { timeout: (ms) => new PublishTimeoutError(ms), closed: () => new EventLogClosedError() },
  );
  let closed = false;
  return {
    publish(topic, records) {
      if (closed) return Promise.reject(new EventLogClosedError());
      if (records.length === 0) return Promise.resolve();
      return commits.submit({ topic, records }, records.length);
    },
    close() {
      closed = true;
      return commits.close();
    },
  };
}
