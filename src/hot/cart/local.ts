// The carts in process: the same operations as redis.ts on maps, each
// synchronous inside one call so it is atomic the way a Lua script is.
import { checkNonNegativeInt, checkPositiveInt } from "../checks.ts";
import { InProcessAdapter, live, now, sweepExpired } from "../in-process.ts";
import { checkRequestId } from "./checks.ts";
import type { CartAddResult, CheckoutRead, HotCart } from "./port.ts";

interface Cart {
  lines: Map<number, number>;
  expiresAt: number;
}

export class LocalCart extends InProcessAdapter implements HotCart {
  private readonly carts = new Map<string, Cart>();
  /** Order request marks by `<userId>:<requestId>`. */
  private readonly requestMarks = new Map<string, { expiresAt: number }>();

  sweep(): void {
    sweepExpired([this.carts, this.requestMarks]);
  }

  private cart(userId: number, roomId: number, ttlSec?: number): Cart | undefined {
    checkPositiveInt("userId", userId);
    checkPositiveInt("roomId", roomId);
    const key = `${userId}:${roomId}`;
    let c = live(this.carts, key);
    if (ttlSec === undefined) return c;
    checkPositiveInt("ttlSec", ttlSec);
    if (!c) this.carts.set(key, (c = { lines: new Map(), expiresAt: 0 }));
    c.expiresAt = now() + ttlSec * 1000;
    return c;
  }

  async add(userId: number, roomId: number, skuId: number, count: number, maxCount: number, ttlSec: number): Promise<CartAddResult> {
    this.open();
    checkPositiveInt("skuId", skuId);
    checkPositiveInt("count", count);
    checkPositiveInt("maxCount", maxCount);
    const have = this.cart(userId, roomId)?.lines.get(skuId) ?? 0;
    if (have + count > maxCount) return { kind: "over", count: have };
    this.cart(userId, roomId, ttlSec)!.lines.set(skuId, have + count);
    return { kind: "added", count: have + count };
  }

  async set(userId: number, roomId: number, skuId: number, count: number, ttlSec: number): Promise<void> {
    this.open();
    checkPositiveInt("skuId", skuId);
    checkNonNegativeInt("count", count);
    if (count === 0) return this.remove(userId, roomId, [skuId]);
    this.cart(userId, roomId, ttlSec)!.lines.set(skuId, count);
  }

  async remove(userId: number, roomId: number, skuIds: number[]): Promise<void> {
    this.open();
    const c = this.cart(userId, roomId);
    for (const id of skuIds) c?.lines.delete(id);
  }

  async clear(userId: number, roomId: number): Promise<void> {
    this.open();
    if (this.cart(userId, roomId)) this.carts.delete(`${userId}:${roomId}`);
  }

  async items(userId: number, roomId: number): Promise<Map<number, number>> {
    this.open();
    return new Map(this.cart(userId, roomId)?.lines ?? []);
  }

  async checkout(userId: number, roomId: number, requestId: string | undefined, requestTtlSec: number): Promise<CheckoutRead> {
    const lines = await this.items(userId, roomId);
    if (requestId === undefined) return { lines, seen: false };
    checkRequestId(requestId);
    checkPositiveInt("requestTtlSec", requestTtlSec);
    const key = `${userId}:${requestId}`;
    if (live(this.requestMarks, key)) return { lines, seen: true };
    this.requestMarks.set(key, { expiresAt: now() + requestTtlSec * 1000 });
    return { lines, seen: false };
  }
}
