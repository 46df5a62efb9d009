// The carts on Redis: a hash per user per room under the user's hash tag;
// add and set are Lua scripts (./scripts) so the ceiling check and the
// expiry refresh are atomic with the write.
import type { Result } from "ioredis";
import { checkNonNegativeInt, checkPositiveInt } from "../checks.ts";
import type { RedisClient, RedisConnection } from "../redis/connection.ts";
import { ReplyCode, defineScripts, unexpectedReply } from "../redis/scripts.ts";
import { checkRequestId, linesOf } from "./checks.ts";
import type { CartAddResult, CheckoutRead, HotCart } from "./port.ts";

declare module "ioredis" {
  interface RedisCommander<Context> {
    hotCartAdd(cart: string, skuId: string, count: string, maxCount: string, ttlSec: string): Result<[number, number?], Context>;
    hotCartSet(cart: string, skuId: string, count: string, ttlSec: string): Result<number, Context>;
    hotCartCheckout(cart: string, requestMark: string, ttlSec: string): Result<[number, string[]?], Context>;
  }
}

const SCRIPTS = { hotCartAdd: "add-1.lua", hotCartSet: "set-1.lua", hotCartCheckout: "checkout-2.lua" };

export function defineCartScripts(client: RedisClient): void {
  defineScripts(client, new URL("./scripts/", import.meta.url), SCRIPTS);
}

export class RedisCart implements HotCart {
  private readonly client: RedisClient;
  private readonly key: (userId: number, roomId: number) => string;
  private readonly requestMark: (userId: number, requestId: string) => string;

  constructor(conn: RedisConnection) {
    this.client = conn.client;
    this.key = (userId, roomId) => {
      checkPositiveInt("userId", userId);
      checkPositiveInt("roomId", roomId);
      return conn.key(`u:${userId}`, `:cart:${roomId}`);
    };
    this.requestMark = (userId, requestId) => conn.key(`u:${userId}`, `:req:${requestId}`);
  }

  async add(userId: number, roomId: number, skuId: number, count: number, maxCount: number, ttlSec: number): Promise<CartAddResult> {
    checkPositiveInt("skuId", skuId);
    checkPositiveInt("count", count);
    checkPositiveInt("maxCount", maxCount);
    checkPositiveInt("ttlSec", ttlSec);
    const reply = await this.client.hotCartAdd(this.key(userId, roomId), String(skuId), String(count), String(maxCount), String(ttlSec));
    if (reply[0] === ReplyCode.Ok) return { kind: "added", count: Number(reply[1]) };
    if (reply[0] === -1) return { kind: "over", count: Number(reply[1]) };
    throw unexpectedReply("cart add", reply);
  }

  async set(userId: number, roomId: number, skuId: number, count: number, ttlSec: number): Promise<void> {
    checkPositiveInt("skuId", skuId);
    checkNonNegativeInt("count", count);
    checkPositiveInt("ttlSec", ttlSec);
    const code = await this.client.hotCartSet(this.key(userId, roomId), String(skuId), String(count), String(ttlSec));
    if (code !== ReplyCode.Ok) throw unexpectedReply("cart set", code);
  }

  async remove(userId: number, roomId: number, skuIds: number[]): Promise<void> {
    const key = this.key(userId, roomId);
    if (skuIds.length > 0) await this.client.hdel(key, ...skuIds.map(String));
  }

  async clear(userId: number, roomId: number): Promise<void> {
    await this.client.del(this.key(userId, roomId));
  }

  async items(userId: number, roomId: number): Promise<Map<number, number>> {
    const h = await this.client.hgetall(this.key(userId, roomId));
    return new Map(Object.entries(h).map(([sku, n]) => [Number(sku), Number(n)]));
  }

  async checkout(userId: number, roomId: number, requestId: string | undefined, requestTtlSec: number): Promise<CheckoutRead> {
    const key = this.key(userId, roomId);
    if (requestId === undefined) return { lines: await this.items(userId, roomId), seen: false };
    checkRequestId(requestId);
    checkPositiveInt("requestTtlSec", requestTtlSec);
    const reply = await this.client.hotCartCheckout(key, this.requestMark(userId, requestId), String(requestTtlSec));
    const [seen, flat] = reply;
    if ((seen !== 0 && seen !== 1) || !Array.isArray(flat)) throw unexpectedReply("cart checkout", reply);
    return { lines: linesOf(flat), seen: seen === 1 };
  }
}
