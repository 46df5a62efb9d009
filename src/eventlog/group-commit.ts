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
import { withTimeout } from "../lib/timeout.ts";
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

interface Waiter {
  topic: string;
  records: LogRecord[];
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
}

export interface GroupCommit {
  publish(topic: string, records: LogRecord[]): Promise<void>;
  /** Refuses new publishes and waits until everything accepted before has been written or rejected. */
  close(): Promise<void>;
}

export function createGroupCommit(write: (batch: TopicRecords) => Promise<void>, opts: GroupCommitOptions): GroupCommit {
  const queue: Waiter[] = [];
  let queuedRecords = 0;
  let inFlight: Promise<void> | null = null;
  let lingering: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  let drained: (() => void) | null = null;

  const settle = (w: Waiter, error?: unknown) => {
    if (w.settled) return;
    w.settled = true;
    if (w.timer) clearTimeout(w.timer);
    if (error === undefined) w.resolve();
    else w.reject(error);
  };

  const idle = () => inFlight === null && queue.length === 0;

  function schedule(): void {
    if (inFlight || queue.length === 0) {
      if (idle()) drained?.();
      return;
    }
    if (queuedRecords >= opts.maxRecords || closed) {
      if (lingering) clearTimeout(lingering);
      lingering = null;
      startWrite();
    } else if (!lingering) {
      lingering = setTimeout(() => {
        lingering = null;
        if (!inFlight) startWrite();
      }, opts.lingerMs);
    }
  }

  function startWrite(): void {
    const taken: Waiter[] = [];
    let count = 0;
    while (queue.length > 0 && (taken.length === 0 || count + queue[0]!.records.length <= opts.maxRecords)) {
      const w = queue.shift()!;
      queuedRecords -= w.records.length;
      if (w.settled) continue; // timed out while waiting: never written
      taken.push(w);
      count += w.records.length;
    }
    if (taken.length === 0) return schedule();
    const batch: TopicRecords = new Map();
    for (const w of taken) {
      const list = batch.get(w.topic);
      if (list) list.push(...w.records);
      else batch.set(w.topic, [...w.records]);
    }
    let attempt = write(batch);
    // A write that hangs must not hold up the next one (nor close()).
    const ms = opts.timeoutMs;
    if (ms !== undefined) attempt = withTimeout(attempt, ms, () => new PublishTimeoutError(ms));
    inFlight = attempt.then(
      () => taken.forEach((w) => settle(w)),
      (error) => taken.forEach((w) => settle(w, error)),
    );
    void inFlight.finally(() => {
      inFlight = null;
      schedule();
    });
  }

  return {
    publish(topic, records) {
      if (closed) return Promise.reject(new EventLogClosedError());
      if (records.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const w: Waiter = { topic, records, settled: false, resolve, reject };
        if (opts.timeoutMs !== undefined) {
          const ms = opts.timeoutMs;
          w.timer = setTimeout(() => settle(w, new PublishTimeoutError(ms)), ms);
        }
        queue.push(w);
        queuedRecords += records.length;
        schedule();
      });
    },
    close() {
      closed = true;
      if (idle()) return Promise.resolve();
      const done = new Promise<void>((resolve) => (drained = resolve));
      schedule();
      return done;
    },
  };
}
