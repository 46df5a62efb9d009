// Group commit: concurrent callers are coalesced into one run (one durable
// write, one transaction) per short tick, so a burst costs one write per
// batch instead of one per caller. Used by the event log's publish()
// (src/eventlog/group-commit.ts), the recharge notifications
// (src/bank/notify.ts) and the shop's order inserts (src/shop/orders-repo.ts).
//
// Contract (what each caller of submit() is promised):
// - it settles only after the run that carried ITS item ended, with its own
//   outcome: `run` answers one settled result per item, in order, so one
//   item can be refused or fail while the others of its batch succeed; if
//   `run` itself rejects, every caller of that batch is rejected with its
//   error;
// - with `timeoutMs`, it settles within that bound of the call: a caller
//   still waiting for its turn is then dropped from the queue (its item is
//   never run later), one whose run is in flight is rejected while the run
//   finishes or fails on its own (its slot is freed at the timeout);
// - callers are taken in call order; with `maxInFlight` 1 (the default) one
//   run is in flight at a time, so batches run in call order too;
// - after close() begins, submit() rejects; close() resolves once every item
//   accepted before it has been run or rejected.
//
// When a run starts: at once if `maxSize` waits, else after `lingerMs` from
// the first waiting caller (or on the event loop's next turn, with
// "next-turn") — or, while `maxInFlight` runs are in flight, as soon as one
// ends (callers that arrived meanwhile already waited).
import { withTimeout } from "./timeout.ts";

export interface GroupCommitOptions {
  /**
   * How long the first waiting caller waits for company before a run starts
   * (ms); "next-turn": until the event loop's next turn (setImmediate), so
   * the callers whose requests this turn already read join the first run,
   * and no timer delays it further.
   */
  lingerMs: number | "next-turn";
  /** A run starts at once when this much waits (items, or their `size`); also the most one run carries (an item is never split). */
  maxSize: number;
  /** Runs in flight at once; 1 keeps batches in call order. */
  maxInFlight?: number;
  /** Each caller settles within this many ms of its call; undefined for no bound. */
  timeoutMs?: number;
}

export interface GroupCommitErrors {
  /** The error of a caller that waited `ms` without an answer. */
  timeout(ms: number): Error;
  /** The error of a submit() after close() began. */
  closed(): Error;
}

/** One run over a batch: a settled result per item, in the items' order. */
export type BatchRun<I, R> = (items: I[]) => Promise<PromiseSettledResult<R>[]>;

export interface GroupCommit<I, R> {
  /** `size`: how much of `maxSize` the item takes (default 1). */
  submit(item: I, size?: number): Promise<R>;
  /** Refuses new items and waits until everything accepted before has been run or rejected. */
  close(): Promise<void>;
}

interface Waiter<I, R> {
  item: I;
  size: number;
  settled: boolean;
  resolve(value: R): void;
  reject(error: unknown): void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A BatchRun over a run that answers a whole batch or throws: when a batch of
 * more than one item throws, each item is run again alone, so the item that
 * made it fail (a unique key another already took) fails alone and the
 * others get their own answers; a batch of one rejects with its error.
 * `inOrder`: the single runs go in the items' order, each after the one
 * before (when an item's answer depends on those before it); else at once.
 */
export function runAloneOnFailure<I, R>(
  runBatch: (items: I[]) => Promise<R[]>,
  opts: { inOrder?: boolean; onSplit?: (err: unknown, size: number) => void } = {},
): BatchRun<I, R> {
  return async (items) => {
    try {
      return (await runBatch(items)).map((value) => ({ status: "fulfilled", value }));
    } catch (err) {
      if (items.length === 1) throw err;
      opts.onSplit?.(err, items.length);
      const alone = async (item: I) => (await runBatch([item]))[0]!;
      if (!opts.inOrder) return Promise.allSettled(items.map(alone));
      const outcomes: PromiseSettledResult<R>[] = [];
      for (const item of items) outcomes.push(...(await Promise.allSettled([alone(item)])));
      return outcomes;
    }
  };
}

const DEFAULT_ERRORS: GroupCommitErrors = {
  timeout: (ms) => new Error(`group commit: no answer within ${ms} ms`),
  closed: () => new Error("group commit: closed"),
};

export function groupCommit<I, R>(run: BatchRun<I, R>, opts: GroupCommitOptions, errors: GroupCommitErrors = DEFAULT_ERRORS): GroupCommit<I, R> {
  const maxInFlight = opts.maxInFlight ?? 1;
  const queue: Waiter<I, R>[] = [];
  let queuedSize = 0;
  let inFlight = 0;
  /** Cancels the pending linger, while one is pending. */
  let lingering: (() => void) | null = null;
  let drained: (() => void) | null = null;
  /** The first close()'s promise, which every later call answers too. */
  let closing: Promise<void> | null = null;

  const settle = (w: Waiter<I, R>, outcome: PromiseSettledResult<R>) => {
    if (w.settled) return;
    w.settled = true;
    if (w.timer) clearTimeout(w.timer);
    if (outcome.status === "fulfilled") w.resolve(outcome.value);
    else w.reject(outcome.reason);
  };

  const idle = () => inFlight === 0 && queue.length === 0;

  function linger(fire: () => void): () => void {
    if (opts.lingerMs === "next-turn") {
      const turn = setImmediate(fire);
      return () => clearImmediate(turn);
    }
    const timer = setTimeout(fire, opts.lingerMs);
    return () => clearTimeout(timer);
  }

  function stopLingering(): void {
    lingering?.();
    lingering = null;
  }

  function schedule(): void {
    if (inFlight >= maxInFlight || queue.length === 0) {
      if (idle()) drained?.();
      return;
    }
    if (queuedSize >= opts.maxSize || closing !== null) {
      stopLingering();
      startRun();
      schedule();
    } else if (!lingering) {
      lingering = linger(() => {
        lingering = null;
        if (inFlight < maxInFlight) startRun();
        schedule();
      });
    }
  }

  function startRun(): void {
    const taken: Waiter<I, R>[] = [];
    let size = 0;
    while (queue.length > 0 && (taken.length === 0 || size + queue[0]!.size <= opts.maxSize)) {
      const w = queue.shift()!;
      queuedSize -= w.size;
      if (w.settled) continue; // timed out while waiting: never run
      taken.push(w);
      size += w.size;
    }
    if (taken.length === 0) return;
    inFlight++;
    let attempt = Promise.resolve().then(() => run(taken.map((w) => w.item)));
    // A run that hangs must not hold up the next one (nor close()).
    const ms = opts.timeoutMs;
    if (ms !== undefined) attempt = withTimeout(attempt, ms, () => errors.timeout(ms));
    void attempt
      .then((outcomes) => {
        if (outcomes.length !== taken.length) throw new Error(`group commit: ${outcomes.length} results for ${taken.length} items`);
        taken.forEach((w, i) => settle(w, outcomes[i]!));
      })
      // A failed run, or a run whose results do not match its items: every caller in it fails.
      .catch((error) => taken.forEach((w) => settle(w, { status: "rejected", reason: error })))
      .finally(() => {
        inFlight--;
        // Callers that arrived while it ran already waited: go at once.
        if (queue.length > 0) {
          stopLingering();
          startRun();
        }
        schedule();
      });
  }

  return {
    submit(item, size = 1) {
      if (closing) return Promise.reject(errors.closed());
      return new Promise<R>((resolve, reject) => {
        const w: Waiter<I, R> = { item, size, settled: false, resolve, reject };
        if (opts.timeoutMs !== undefined) {
          const ms = opts.timeoutMs;
          w.timer = setTimeout(() => settle(w, { status: "rejected", reason: errors.timeout(ms) }), ms);
        }
        queue.push(w);
        queuedSize += size;
        schedule();
      });
    },
    close() {
      if (closing) return closing;
      if (idle()) return (closing = Promise.resolve());
      closing = new Promise<void>((resolve) => (drained = resolve));
      schedule();
      return closing;
    },
  };
}
