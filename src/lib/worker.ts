// One background-worker primitive for everything that runs beside requests:
// the outbox relay, the sandbox's notification sender, and later the order
// sweeper, the stock sync and the reservation reconciler.
//
// Contract
// - A worker runs `round()` again and again. A round that reports more work
//   waiting (true) is followed at once by the next; otherwise the worker
//   sleeps `idleMs`, cut short by `wake()` (this process just made work).
// - A round that throws is logged and followed by a growing back-off
//   (`backoff`, reset by the next round that succeeds); the worker never
//   gives up while it runs.
// - `stop()` lets the round in flight finish (it is never abandoned half
//   way), then resolves; no round starts after it was called.
// - With `lease`, at most one worker per lease name runs rounds at a time,
//   across processes: before a round the worker must hold the lease, taken
//   through the injected lock (an owner token; release is compare-and-delete,
//   so a lease that expired and was taken by another is never released by
//   the old holder). Workers without it stand by and try again every
//   `idleMs` (at most `ttlMs / 3`). The holder renews between rounds once a third of `ttlMs`
//   has passed, by handing the lease back and taking it again (the lock has
//   no extend operation); a standby may win it in that gap, which is a clean
//   hand-over since no round is in flight. `stop()` releases the lease, so a
//   standby takes over at its next try. A round must finish well within
//   `ttlMs`: the lease is not renewed during a round.
import { backoffDelay, DEFAULT_RETRY_BACKOFF, type RetryBackoff } from "./backoff.ts";
import type { Logger } from "./logger.ts";
import { StopLatch } from "./stop-latch.ts";

/** A named lock with an owner token, e.g. the hot store's guards. */
export interface LeaseLock {
  /** Returns the owner token, or null when someone else holds the lock. */
  acquire(name: string, ttlMs: number): Promise<string | null>;
  /** Releases the lock if `token` still owns it. */
  release(name: string, token: string): Promise<unknown>;
}

export interface WorkerOptions {
  /** Shown in logs; also the default lease name. */
  name: string;
  /** One round of work; resolves true when more is waiting (the next round starts at once). */
  round: () => Promise<boolean>;
  logger: Logger;
  /** Sleep between rounds when idle (ms); `wake()` cuts it short. */
  idleMs: number;
  /** Pauses after failed rounds (default 200 ms doubling to 5 s). */
  backoff?: RetryBackoff;
  /** Failures that are part of normal operation (a lost race): logged at debug, still backed off. */
  isExpectedError?: (err: unknown) => boolean;
  /** Run rounds in one process at a time. */
  lease?: { lock: LeaseLock; ttlMs: number; name?: string };
}

export interface Worker {
  readonly name: string;
  start(): void;
  /** Finishes the round in flight, releases the lease, then resolves. */
  stop(): Promise<void>;
  /** Look now: this process just made work for the worker. */
  wake(): void;
  /** Whether this worker may run rounds now (always true without a lease). */
  holdsLease(): boolean;
}

export function createWorker(opts: WorkerOptions): Worker {
  const backoff = opts.backoff ?? DEFAULT_RETRY_BACKOFF;
  const latch = new StopLatch();
  const nudges = new Set<() => void>();
  const lease = opts.lease ? createLease(opts.lease.lock, opts.lease.name ?? opts.name, opts.lease.ttlMs, opts.idleMs) : null;
  let woken = false;
  let running: Promise<void> | null = null;

  /** Runs one round; returns the pause before the next (0: go again at once). */
  async function step(failures: { count: number }): Promise<number> {
    try {
      if (lease && !(await lease.hold())) return lease.standbyMs;
      const more = await opts.round();
      failures.count = 0;
      if (more) return 0;
      // An idle holder wakes in time to renew its lease.
      return lease ? lease.standbyMs : opts.idleMs;
    } catch (err) {
      if (opts.isExpectedError?.(err)) opts.logger.debug(`${opts.name}: round lost a race; retrying`, { err });
      else opts.logger.warn(`${opts.name}: round failed; will retry`, { err, failures: failures.count });
      return backoffDelay(backoff, failures.count++);
    }
  }

  async function loop(): Promise<void> {
    const failures = { count: 0 };
    try {
      while (!latch.fired) {
        woken = false;
        const pause = await step(failures);
        if (pause > 0 && !woken) await latch.wait(pause, nudges);
      }
    } finally {
      await lease?.release().catch((err) => opts.logger.warn(`${opts.name}: releasing the lease failed; it expires by itself`, { err }));
    }
  }

  return {
    name: opts.name,
    start() {
      if (running || latch.fired) return;
      running = loop();
    },
    async stop() {
      latch.fire();
      await running;
    },
    wake() {
      woken = true;
      for (const nudge of [...nudges]) nudge();
    },
    holdsLease: () => (lease ? lease.held() : true),
  };
}

/** The "one process at a time" lease of one worker. */
function createLease(lock: LeaseLock, name: string, ttlMs: number, idleMs: number) {
  let token: string | null = null;
  let takenAt = 0;
  const renewAfterMs = Math.max(1, Math.floor(ttlMs / 3));
  return {
    /** How long a standby (or an idle holder) waits before trying again: a holder renews in time. */
    standbyMs: Math.min(idleMs, renewAfterMs),
    held: () => token !== null && Date.now() - takenAt < ttlMs,
    /** Takes the lease, or renews it when a third of its time has passed; false when another holds it. */
    async hold(): Promise<boolean> {
      if (token !== null && Date.now() - takenAt < renewAfterMs) return true;
      if (token !== null) {
        const old = token;
        token = null;
        await lock.release(name, old);
      }
      const now = Date.now();
      token = await lock.acquire(name, ttlMs);
      takenAt = now;
      return token !== null;
    },
    async release(): Promise<void> {
      if (token === null) return;
      const old = token;
      token = null;
      await lock.release(name, old);
    },
  };
}
