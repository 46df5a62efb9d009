// The hot store's carts: one per user per room, SKU → count (SPEC §7: carts
// need no database). Every write refreshes the cart's expiry, so an abandoned
// cart goes away by itself. Two adapters — Redis + Lua (redis.ts,
// scripts/*.lua) and in-process maps (local.ts) — and cart.contract.test.ts
// runs on both and on a Redis Cluster. A user's carts sit under the hash tag
// {u:<userId>}.

export type CartAddResult =
  | { kind: "added"; count: number }
  /** The line would pass `maxCount`; nothing changed. `count` = the line now (0 when absent). */
  | { kind: "over"; count: number };

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
}
