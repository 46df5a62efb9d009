// The redelivery rule both adapters share: a batch is handed to `handle` until
// it resolves; a throw reports through onError, backs off (growing, capped)
// and hands over the very same batch again. Only the consumer stopping ends
// the retries, and then the batch stays uncommitted so the group's next
// consumer starts from it. Nothing is ever skipped.
import { backoffDelay, type RetryBackoff } from "../lib/backoff.ts";
import type { ConsumeOptions, LogMessage } from "./port.ts";

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
