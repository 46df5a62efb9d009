// The Lua scripts of the Redis adapter: one file per script in ./scripts,
// named `<name>-<numberOfKeys>.lua` (BullMQ style), each with a header stating
// its KEYS, ARGV and replies. They are registered with ioredis `defineCommand`
// as `hot<Name>` (EVALSHA, falling back to EVAL on NOSCRIPT, routed by the
// first key's slot in a cluster) and typed below through `declare module`.
import { readFileSync } from "node:fs";
import type { Cluster, Redis, Result } from "ioredis";

/** Reply codes of the scripts; negative codes are the expected "no" answers. */
export const HotCode = {
  /** The operation did what was asked. */
  Ok: 1,
  /** refundDebit: refunded, but `available` was rebuilt since the debit and already holds the amount. */
  RefundAbsorbed: 2,
  /** admitDebit: `available` is below the amount. */
  Insufficient: -1,
  /** admitDebit: admission id seen before with the same fingerprint. */
  Duplicate: -2,
  /** admitDebit: admission id seen before with another fingerprint. */
  Conflict: -3,
  /** admitDebit, creditAvailable: no wallet loaded. */
  Unloaded: -4,
  /** settleDebit, refundDebit: the admission is not pending. */
  NotPending: -5,
  /** loadAvailable: a wallet is already loaded. */
  Present: -6,
  /** loadAvailable: a newer credit committed while the wallet was missing. */
  Stale: -7,
  /** creditAvailable: the loaded value already includes this credit. */
  AlreadyCounted: -8,
  /** releaseLock: the lock is not held under this token. */
  NotOwner: -9,
  /** A numeric argument was malformed (the adapter checks first, so this is a bug). */
  BadArgument: -99,
} as const;
export type HotCode = (typeof HotCode)[keyof typeof HotCode];

declare module "ioredis" {
  interface RedisCommander<Context> {
    hotAdmitDebit(wallet: string, admission: string, amount: string, fingerprint: string, ttlSec: string): Result<[number, (number | string)?, number?], Context>;
    hotSettleDebit(admission: string): Result<number, Context>;
    hotRefundDebit(wallet: string, admission: string): Result<number, Context>;
    hotLoadAvailable(wallet: string, balance: string, version: string, generation: string): Result<number, Context>;
    hotCreditAvailable(wallet: string, amount: string, version: string, markerTtlSec: string): Result<number, Context>;
    hotDropWallet(wallet: string, markerTtlSec: string): Result<number, Context>;
    hotReleaseLock(lock: string, token: string): Result<number, Context>;
    hotHitRateLimit(counter: string, windowMs: string): Result<[number, number?], Context>;
    hotPublish(route: string, channel: string, message: string): Result<number, Context>;
  }
}

/** Script files by command name; the key count is part of the file name. */
const SCRIPTS = {
  hotAdmitDebit: "admitDebit-2.lua",
  hotSettleDebit: "settleDebit-1.lua",
  hotRefundDebit: "refundDebit-2.lua",
  hotLoadAvailable: "loadAvailable-1.lua",
  hotCreditAvailable: "creditAvailable-1.lua",
  hotDropWallet: "dropWallet-1.lua",
  hotReleaseLock: "releaseLock-1.lua",
  hotHitRateLimit: "hitRateLimit-1.lua",
  hotPublish: "publish-1.lua",
} as const;

export function defineHotScripts(client: Redis | Cluster): void {
  for (const [command, file] of Object.entries(SCRIPTS)) {
    const numberOfKeys = Number(/-(\d+)\.lua$/.exec(file)![1]);
    const lua = readFileSync(new URL(`./scripts/${file}`, import.meta.url), "utf8");
    client.defineCommand(command, { lua, numberOfKeys });
  }
}

/** A reply the script header does not allow: a bug, never a business answer. */
export function unexpectedReply(script: string, reply: unknown): Error {
  return new Error(`hot store: ${script} answered ${JSON.stringify(reply)}`);
}
