// Carts: one per user per room in the hot store, SKU → count. Only
// SKUs the room's anchor sells on sale go in; a line holds 1..MAX_CART_COUNT.
// The view joins each line with the SKU from this process's catalogue copy.
import type { Hot } from "../hot/index.ts";
import { AppError } from "../lib/errors.ts";
import type { AnchorSkus } from "./anchor-skus.ts";
import { publicSku } from "./catalogue.ts";
import type { Sku } from "./types.ts";

/** The most units one cart line may hold. */
export const MAX_CART_COUNT = 99;
/** A cart nobody touched for this long goes away. */
export const CART_TTL_SEC = 7 * 86400;
/**
 * How long an order's request id is remembered beside the cart (the window in
 * which a retry is answered without a database look unless it was seen). A
 * retry after it still gets its first order: the cart is empty, or the
 * insert hits the database's unique (user, request id).
 */
export const ORDER_REQUEST_TTL_SEC = 86400;

/** What the shop needs of rooms. */
export interface ShopRooms {
  getCached(roomId: number): Promise<{ roomId: number; anchorId: number } | null>;
}

export function createCarts(deps: { hot: Hot; rooms: ShopRooms; anchorSkus: AnchorSkus }) {
  const { hot, rooms, anchorSkus } = deps;

  /** The room's anchor's on-sale SKUs by id; ROOM_NOT_FOUND when there is no such room. */
  async function roomSkus(roomId: number): Promise<{ anchorId: number; skus: Map<number, Sku> }> {
    const room = await rooms.getCached(roomId);
    if (!room) throw new AppError("ROOM_NOT_FOUND", `room ${roomId} does not exist`);
    const skus = await anchorSkus.onSale(room.anchorId);
    return { anchorId: room.anchorId, skus: new Map(skus.map((s) => [s.skuId, s])) };
  }

  async function soldHere(roomId: number, skuId: number): Promise<void> {
    if (!(await roomSkus(roomId)).skus.has(skuId)) {
      throw new AppError("SKU_NOT_IN_ROOM", `sku ${skuId} is not sold in room ${roomId}`, { skuIds: [skuId] });
    }
  }

  async function view(userId: number, roomId: number) {
    const [{ skus }, lines] = await Promise.all([roomSkus(roomId), hot.cart.items(userId, roomId)]);
    const items = [...lines]
      .sort((a, b) => a[0] - b[0])
      .map(([skuId, count]) => {
        const sku = skus.get(skuId);
        return { skuId, count, sku: sku ? publicSku(sku) : null };
      });
    // Lines whose SKU left the room (taken off sale) stay visible with sku null and cost nothing.
    const totalPrice = items.reduce((sum, i) => sum + (i.sku ? i.sku.skuPrice * i.count : 0), 0);
    return { userId, roomId, items, totalPrice };
  }

  return {
    roomSkus,
    view,

    async add(userId: number, roomId: number, skuId: number, count: number) {
      await soldHere(roomId, skuId);
      const r = await hot.cart.add(userId, roomId, skuId, count, MAX_CART_COUNT, CART_TTL_SEC);
      if (r.kind === "over") throw new AppError("PARAM_ERROR", `count: a cart line holds at most ${MAX_CART_COUNT} units (this one has ${r.count})`);
      return view(userId, roomId);
    },

    /** Sets a line's count; 0 removes it. */
    async set(userId: number, roomId: number, skuId: number, count: number) {
      if (count === 0) await hot.cart.remove(userId, roomId, [skuId]);
      else {
        await soldHere(roomId, skuId);
        await hot.cart.set(userId, roomId, skuId, count, CART_TTL_SEC);
      }
      return view(userId, roomId);
    },

    async remove(userId: number, roomId: number, skuId: number) {
      await hot.cart.remove(userId, roomId, [skuId]);
      return view(userId, roomId);
    },

    async clear(userId: number, roomId: number) {
      await hot.cart.clear(userId, roomId);
      return view(userId, roomId);
    },

    /** An order's first read: the raw lines (SKU → count) and whether its request id was seen (hot/cart/port.ts). */
    checkout: (userId: number, roomId: number, requestId: string | undefined) => hot.cart.checkout(userId, roomId, requestId, ORDER_REQUEST_TTL_SEC),

    /** Ordered lines leave the cart. */
    removeLines: (userId: number, roomId: number, skuIds: number[]) => hot.cart.remove(userId, roomId, skuIds),
  };
}

export type Carts = ReturnType<typeof createCarts>;
