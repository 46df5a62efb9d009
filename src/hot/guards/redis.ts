// Guards on Redis: a lock is SET NX PX with a random owner token and released
// by compare-and-delete (releaseLock-1.lua); a rate limit is one counter per
// window (hitRateLimit-1.lua). Each key is its own hash tag.
import type { Result } from "ioredis";
import { randomUUID } from "node:crypto";
import { checkNonEmpty, checkNonNegativeInt, checkPositiveInt, checkString } from "../checks.ts";
import type { RedisClient, RedisConnection } from "../redis/connection.ts";
import { ReplyCode, defineScripts, unexpectedReply } from "../redis/scripts.ts";
import type { Guards, RateLimitResult } from "./port.ts";

/** Reply codes of the guard scripts. */
export const GuardReply = {
  ...ReplyCode,
  /** releaseLock: the lock is not held under this token. */
  NotOwner: -9,
} as const;

declare module "ioredis" {
  interface RedisCommander<Context> {
    hotReleaseLock(lock: string, token: string): Result<number, Context>;
    hotHitRateLimit(counter: string, windowMs: string): Result<[number, number?], Context>;
  }
}

const SCRIPTS = {
  hotReleaseLock: "releaseLock-1.lua",
  hotHitRateLimit: "hitRateLimit-1.lua",
};

export function defineGuardScripts(client: RedisClient): void {
  defineScripts(client, new URL("./scripts/", import.meta.url), SCRIPTS);
}

/** The guards on an open connection whose scripts `defineGuardScripts` registered. */
export class RedisGuards implements Guards {
  private readonly client: RedisClient;
  private readonly lockKey: (name: string) => string;
  private readonly rateLimitKey: (key: string) => string;

  constructor(conn: RedisConnection) {
    this.client = conn.client;
    this.lockKey = (name) => conn.key(`lock:${name}`);
    this.rateLimitKey = (key) => conn.key(`rl:${key}`);
  }

  async acquireLock(name: string, ttlMs: number): Promise<string | null> {
    checkNonEmpty("lock name", name);
    checkPositiveInt("ttlMs", ttlMs);
    const token = randomUUID();
    const ok = await this.client.set(this.lockKey(name), token, "PX", ttlMs, "NX");
    return ok === "OK" ? token : null;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    checkNonEmpty("lock name", name);
    checkString("token", token);
    const code = await this.client.hotReleaseLock(this.lockKey(name), token);
    if (code === GuardReply.Ok) return true;
    if (code === GuardReply.NotOwner) return false;
    throw unexpectedReply("releaseLock", code);
  }

  async hitRateLimit(key: string, limit: number, windowSec: number): Promise<RateLimitResult> {
    checkNonEmpty("rate limit key", key);
    checkNonNegativeInt("limit", limit);
    checkPositiveInt("windowSec", windowSec);
    const reply = await this.client.hotHitRateLimit(this.rateLimitKey(key), String(windowSec * 1000));
    const [count, pttl] = reply;
    if (count === GuardReply.BadArgument || pttl === undefined) throw unexpectedReply("hitRateLimit", reply);
    return { allowed: count <= limit, count, retryAfterSec: Math.max(1, Math.ceil(pttl / 1000)) };
  }
}
