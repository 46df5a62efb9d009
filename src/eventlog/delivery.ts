// The redelivery rule both adapters share: a batch is handed to `handle` until
// it resolves; a throw reports through onError, backs off (growing, capped)
// and hands over the very same batch again. Only the consumer stopping ends
// the retries, and then the batch stays uncommitted so the group's next
// consumer starts from it. Nothing is ever skipped.
import type { ConsumeOptions, LogMessage } from "./port.ts";

export interface RetryBackoff {
  /** First pause after a failed handle. */
  initialMs: number;
  /** Ceiling for the doubling pauses. */
  maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 200, maxMs: 5000 };

export function backoffDelay(backoff: RetryBackoff, attempt: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
}

/** A one-shot latch: `fire()` once, and every `wait` in progress or to come returns at once. */
export class StopLatch {
  fired = false;
  private wakers = new Set<() => void>();
  private resolveStopped!: () => void;
  /** Resolves when fired. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  fire(): void {
    this.fired = true;
    this.resolveStopped();
    for (const wake of this.wakers) wake();
    this.wakers.clear();
  }

  /** Sleeps `ms`, returning early when fired (or when `nudge` is called, if given). */
  wait(ms: number, nudges?: Set<() => void>): Promise<void> {
    if (this.fired) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        nudges?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
      nudges?.add(done);
    });
  }
}

/** Rejects a maxBatch that could never make progress. */
export function checkConsumeOptions(options: ConsumeOptions): void {
  if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) {
    throw new RangeError(`maxBatch must be a positive whole number, got ${options.maxBatch}`);
  }
}

/**
 * Calls `handle(batch)` until it resolves (returns true) or `shouldStop()`
 * turns true after a failure (returns false: the caller must not commit).
 * `pause(ms)` waits out the back-off; the Kafka adapter heartbeats in it.
 */
export async function handleUntilDone(
  batch: LogMessage[],
  options: ConsumeOptions,
  backoff: RetryBackoff,
  shouldStop: () => boolean,
  pause: (ms: number) => Promise<void>,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await options.handle(batch);
      return true;
    } catch (error) {
      try {
        options.onError?.(error, batch);
      } catch {
        // A broken error reporter must not turn into a skipped batch.
      }
    }
    if (shouldStop()) return false;
    await pause(backoffDelay(backoff, attempt));
    if (shouldStop()) return false;
  }
}
