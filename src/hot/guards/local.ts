// Guards in process: the same operations as redis.ts on maps with expiry.
import { checkNonEmpty, checkNonNegativeInt, checkPositiveInt, checkString } from "../checks.ts";
import { InProcessAdapter, live, now, sweepExpired } from "../in-process.ts";
import type { Guards, RateLimitResult } from "./port.ts";

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

export class LocalGuards extends InProcessAdapter implements Guards {
  private readonly locks = new Map<string, Expiring<string>>();
  private readonly rateLimits = new Map<string, Expiring<number>>();

  sweep(): void {
    sweepExpired([this.locks, this.rateLimits]);
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | null> {
    this.open();
    checkNonEmpty("lock name", name);
    checkPositiveInt("ttlMs", ttlMs);
    if (live(this.locks, name)) return null;
    const token = crypto.randomUUID();
    this.locks.set(name, { value: token, expiresAt: now() + ttlMs });
    return token;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    this.open();
    checkNonEmpty("lock name", name);
    checkString("token", token);
    if (live(this.locks, name)?.value !== token) return false;
    this.locks.delete(name);
    return true;
  }

  async hitRateLimit(key: string, limit: number, windowSec: number): Promise<RateLimitResult> {
    this.open();
    checkNonEmpty("rate limit key", key);
    checkNonNegativeInt("limit", limit);
    checkPositiveInt("windowSec", windowSec);
    let window = live(this.rateLimits, key);
    if (!window) {
      window = { value: 0, expiresAt: now() + windowSec * 1000 };
      this.rateLimits.set(key, window);
    }
    window.value += 1;
    const count = window.value;
    return { allowed: count <= limit, count, retryAfterSec: Math.max(1, Math.ceil((window.expiresAt - now()) / 1000)) };
  }
}
