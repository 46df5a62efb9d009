// The page events the live-commerce panels exchange (RoomContext.emit/on):
// the products panel tells which SKUs the room sells (names for the orders
// list) and which order was just placed (the orders list shows it at once).
import type { OrderLine } from "../../../shop/orders-repo.ts";
import type { RoomContext } from "./context.ts";

export interface Sku {
  skuId: number;
  name: string;
  skuPrice: number;
  iconUrl: string;
  remark: string;
  limitPerUser: number;
}

/** An order as GET /api/shop/orders answers it (POST .../orders answers part of it). */
export interface ShopOrder {
  orderId: string;
  status: "PREPARE_PAY" | "HAS_PAY" | "CANCEL";
  cancelReason?: "user" | "timeout" | null;
  items: OrderLine[];
  totalPrice: number;
  expireAt: number;
  createTime?: number;
}

export const SKUS_LOADED = "page:skus";
export const ORDER_PLACED = "page:order-placed";

export const announceSkus = (ctx: RoomContext, skus: Sku[]) => ctx.emit({ type: SKUS_LOADED, data: skus });
export const announceOrder = (ctx: RoomContext, order: ShopOrder) => ctx.emit({ type: ORDER_PLACED, data: order });
