// Guards: short-lived locks (owner token, compare-and-delete release) and
// fixed-window rate limits, shared by every process of a deployment. Two
// adapters — Redis + Lua (redis.ts, scripts/*.lua) and in-process maps
// (local.ts) — and guards.contract.test.ts runs on both and on a Redis Cluster.

export interface RateLimitResult {
  allowed: boolean;
  /** Hits counted in the current window, this one included. */
  count: number;
  /** Seconds until the window resets. */
  retryAfterSec: number;
}

export interface Guards {
  /** Returns the owner token, or null when someone else holds the lock. */
  acquireLock(name: string, ttlMs: number): Promise<string | null>;
  /** Releases only when `token` still owns the lock; false otherwise. */
  releaseLock(name: string, token: string): Promise<boolean>;
  /** Counts one hit of `key` in a fixed window of `windowSec` that starts at the window's first hit. */
  hitRateLimit(key: string, limit: number, windowSec: number): Promise<RateLimitResult>;
}
