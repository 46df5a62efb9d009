// The hot store's carts: one per user per room, SKU → count (carts
// need no database). Every write refreshes the cart's expiry, so an abandoned
// cart goes away by itself. Two adapters — Redis + Lua (redis.ts,
// scripts/*.lua) and in-process maps (local.ts) — and cart.contract.test.ts
// runs on both and on a Redis Cluster. A user's carts sit under the hash tag
// {u:<userId>}, and so do the order request ids `checkout` remembers beside
// them, so one script reads a cart and its request mark in one round trip.

export type CartAddResult =
  | { kind: "added"; count: number }
  /** The line would pass `maxCount`; nothing changed. `count` = the line now (0 when absent). */
  | { kind: "over"; count: number };

export interface CheckoutRead {
  /** The cart's lines by SKU id (empty when no cart). */
  lines: Map<number, number>;
  /**
   * The request id was marked before this call (by an earlier checkout of the
   * user, within its ttl): an order with it may exist. False when no request
   * id was given.
   */
  seen: boolean;
}

export interface HotCart {
  /** Adds `count` to the line (creating it), refused past `maxCount`. */
  add(userId: number, roomId: number, skuId: number, count: number, maxCount: number, ttlSec: number): Promise<CartAddResult>;
  /** Sets the line's count; 0 removes the line. */
  set(userId: number, roomId: number, skuId: number, count: number, ttlSec: number): Promise<void>;
  /** Removes lines (absent ones are ignored). */
  remove(userId: number, roomId: number, skuIds: number[]): Promise<void>;
  clear(userId: number, roomId: number): Promise<void>;
  /** The lines by SKU id (empty when no cart). */
  items(userId: number, roomId: number): Promise<Map<number, number>>;
  /**
   * An order's first read, atomic: the cart's lines, and — when `requestId`
   * is given — whether the user's request id was marked already, marking it
   * for `requestTtlSec` if not. The mark only says "look in the database";
   * the database's unique (user, request id) stays the guarantee.
   */
  checkout(userId: number, roomId: number, requestId: string | undefined, requestTtlSec: number): Promise<CheckoutRead>;
}
