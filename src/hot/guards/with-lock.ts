// Running a multi-step flow under a short lock (ARCHITECTURE: locks carry an
// owner token, are released by compare-and-delete, and a failed acquisition
// retries a bounded number of times, never by recursion).
import type { Guards } from "./port.ts";

export interface LockPolicy {
  ttlMs: number;
  attempts: number;
  /** Pause before retry `attempt` (0-based). */
  pauseMs: (attempt: number) => number;
  /** What to throw when the lock stayed busy through every attempt. */
  busy: () => Error;
}

/** Runs `fn` holding the lock `name`, released afterwards whatever `fn` does. */
export async function withLock<T>(guards: Guards, name: string, policy: LockPolicy, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    const token = await guards.acquireLock(name, policy.ttlMs);
    if (!token) {
      await Bun.sleep(policy.pauseMs(attempt));
      continue;
    }
    try {
      return await fn();
    } finally {
      await guards.releaseLock(name, token);
    }
  }
  throw policy.busy();
}
