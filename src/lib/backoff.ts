// Doubling back-off with a ceiling, shared by the event-log consumers and the
// background workers.

export interface RetryBackoff {
  /** First pause after a failure. */
  initialMs: number;
  /** Ceiling for the doubling pauses. */
  maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 200, maxMs: 5000 };

/** Pause before retry number `attempt` (0-based): initial, 2×, 4×, … capped. */
export function backoffDelay(backoff: RetryBackoff, attempt: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
}
