// The stock on Redis: one Lua script per multi-step operation (./scripts),
// so each is atomic and one round trip. Every key of a SKU shares the hash
// tag {sku:<skuId>}, so each script's keys are in one cluster slot.
import type { Result } from "ioredis";
import { randomUUID } from "node:crypto";
import { checkPositiveInt } from "../checks.ts";
import type { RedisClient, RedisConnection } from "../redis/connection.ts";
import { ReplyCode, defineScripts, unexpectedReply } from "../redis/scripts.ts";
import { checkLoad, checkOrderRef, checkReserve } from "./checks.ts";
import { TOMBSTONE_TTL_SEC, type HotStock, type ReleaseResult, type ReserveInput, type ReserveResult, type StockLoad, type StockLoadResult } from "./port.ts";

/** Reply codes of the stock scripts; negative codes are the expected "no" answers. */
export const StockReply = {
  ...ReplyCode,
  /** release: released, but `available` already counts the units. */
  Absorbed: 2,
  /** reserve: too few units; release: not held. */
  Short: -1,
  NotHeld: -1,
  /** reserve: this order already has a reservation. */
  Duplicate: -2,
  /** reserve: over the user's limit. */
  Limit: -3,
  /** reserve, adjust: no stock loaded. */
  Unloaded: -4,
} as const;

declare module "ioredis" {
  interface RedisCommander<Context> {
    hotStockReserve(stock: string, reservation: string, user: string, unlanded: string, orderId: string, userId: string, count: string, limit: string, nowMs: string): Result<[number, number?], Context>;
    hotStockRelease(stock: string, reservation: string, unlanded: string, orderId: string, ttlSec: string, userPrefix: string): Result<[number, number?], Context>;
    hotStockSettle(reservation: string, unlanded: string, orderId: string, ttlSec: string): Result<number, Context>;
    hotStockLoad(stock: string, ...args: string[]): Result<number, Context>;
    hotStockAdjust(stock: string, delta: string): Result<[number, number?], Context>;
  }
}

const SCRIPTS = {
  hotStockReserve: "reserve-4.lua",
  hotStockRelease: "release-3.lua",
  hotStockSettle: "settle-2.lua",
  hotStockLoad: "load-1.lua",
  hotStockAdjust: "adjust-1.lua",
};

export function defineStockScripts(client: RedisClient): void {
  defineScripts(client, new URL("./scripts/", import.meta.url), SCRIPTS);
}

export function stockKeys(conn: Pick<RedisConnection, "key">) {
  const tag = (skuId: number) => `sku:${skuId}`;
  return {
    /** `<ns>:{sku:<id>}`: what every key of the SKU starts with. */
    prefix: (skuId: number) => conn.key(tag(skuId)),
    stock: (skuId: number) => conn.key(tag(skuId), ":stock"),
    reservation: (skuId: number, orderId: string) => conn.key(tag(skuId), `:r:${orderId}`),
    user: (skuId: number, userId: number) => conn.key(tag(skuId), `:u:${userId}`),
    userPrefix: (skuId: number) => conn.key(tag(skuId), ":u:"),
    unlanded: (skuId: number) => conn.key(tag(skuId), ":unlanded"),
  };
}

/** The stock on an open connection whose scripts `defineStockScripts` registered. */
export class RedisStock implements HotStock {
  private readonly client: RedisClient;
  private readonly keys: ReturnType<typeof stockKeys>;

  constructor(conn: RedisConnection) {
    this.client = conn.client;
    this.keys = stockKeys(conn);
  }

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    checkReserve(input);
    const k = this.keys;
    const reply = await this.client.hotStockReserve(
      k.stock(input.skuId),
      k.reservation(input.skuId, input.orderId),
      k.user(input.skuId, input.userId),
      k.unlanded(input.skuId),
      input.orderId,
      String(input.userId),
      String(input.count),
      String(input.limitPerUser),
      String(input.nowMs),
    );
    const [code, value] = reply;
    switch (code) {
      case StockReply.Ok:
        return { kind: "reserved", available: Number(value) };
      case StockReply.Short:
        return { kind: "short", available: Number(value) };
      case StockReply.Duplicate:
        return { kind: "duplicate" };
      case StockReply.Limit:
        return { kind: "limit", held: Number(value) };
      case StockReply.Unloaded:
        return { kind: "unloaded" };
      default:
        throw unexpectedReply("reserve", reply);
    }
  }

  async release(skuId: number, orderId: string): Promise<ReleaseResult> {
    checkOrderRef(skuId, orderId);
    const k = this.keys;
    const reply = await this.client.hotStockRelease(k.stock(skuId), k.reservation(skuId, orderId), k.unlanded(skuId), orderId, String(TOMBSTONE_TTL_SEC), k.userPrefix(skuId));
    const [code, value] = reply;
    if (code === StockReply.Ok) return { kind: "released", available: Number(value) };
    if (code === StockReply.Absorbed) return { kind: "absorbed" };
    if (code === StockReply.NotHeld) return { kind: "not_held" };
    throw unexpectedReply("release", reply);
  }

  async settle(skuId: number, orderId: string): Promise<boolean> {
    checkOrderRef(skuId, orderId);
    const code = await this.client.hotStockSettle(this.keys.reservation(skuId, orderId), this.keys.unlanded(skuId), orderId, String(TOMBSTONE_TTL_SEC));
    if (code === 1 || code === 0) return code === 1;
    throw unexpectedReply("settle", code);
  }

  async landed(skuId: number, orderIds: string[]): Promise<void> {
    checkPositiveInt("skuId", skuId);
    if (orderIds.length > 0) await this.client.zrem(this.keys.unlanded(skuId), ...orderIds);
  }

  async unlanded(skuId: number, beforeMs: number, limit: number): Promise<string[]> {
    checkPositiveInt("skuId", skuId);
    checkPositiveInt("limit", limit);
    return this.client.zrangebyscore(this.keys.unlanded(skuId), "-inf", `(${beforeMs}`, "LIMIT", 0, limit);
  }

  async load(input: StockLoad): Promise<StockLoadResult> {
    checkLoad(input);
    const args = [String(input.available), randomUUID(), this.keys.prefix(input.skuId), String(input.pending.length)];
    for (const p of input.pending) args.push(p.orderId, String(p.userId), String(p.count));
    for (const u of input.userHeld) args.push(String(u.userId), String(u.units));
    const code = await this.client.hotStockLoad(this.keys.stock(input.skuId), ...args);
    if (code === 1) return "loaded";
    if (code === 0) return "present";
    throw unexpectedReply("load", code);
  }

  async adjust(skuId: number, delta: number): Promise<number | null> {
    checkPositiveInt("skuId", skuId);
    if (!Number.isSafeInteger(delta)) throw new RangeError(`hot store: delta must be an integer, got ${delta}`);
    const reply = await this.client.hotStockAdjust(this.keys.stock(skuId), String(delta));
    if (reply[0] === StockReply.Ok) return Number(reply[1]);
    if (reply[0] === StockReply.Unloaded) return null;
    throw unexpectedReply("adjust", reply);
  }

  async available(skuId: number): Promise<number | null> {
    checkPositiveInt("skuId", skuId);
    const a = await this.client.hget(this.keys.stock(skuId), "a");
    return a == null ? null : Number(a);
  }

  async userHeld(skuId: number, userId: number): Promise<number> {
    checkPositiveInt("skuId", skuId);
    checkPositiveInt("userId", userId);
    const [[, g], [n, ug]] = await Promise.all([
      this.client.hmget(this.keys.stock(skuId), "a", "g"),
      this.client.hmget(this.keys.user(skuId, userId), "n", "g"),
    ]);
    return g != null && ug === g ? Number(n) : 0;
  }

  async drop(skuId: number): Promise<void> {
    checkPositiveInt("skuId", skuId);
    await this.client.del(this.keys.stock(skuId));
  }
}
