// Live-commerce endpoints: categories, SKUs, stock, which anchor
// may sell what, carts and orders.
import { z } from "zod";
import { AppError } from "../lib/errors.ts";
import { type AnyRoute, defineRoute } from "../lib/route.ts";
import { idField, idParam, requestIdField, text } from "../lib/schemas.ts";
import type { AnchorSkus } from "./anchor-skus.ts";
import { MAX_CART_COUNT, type Carts } from "./cart.ts";
import { publicSku, type SkuCatalogue } from "./catalogue.ts";
import type { Categories } from "./categories.ts";
import type { Address, Orders } from "./orders.ts";
import type { ShopStock } from "./stock.ts";
import { MAX_CATEGORY_LEVEL, ORDER_STATUS_NAMES } from "./types.ts";

/** Coins; ceiling keeps any order total (price × count) a safe integer. */
export const MAX_SKU_PRICE = 100_000_000;
export const MAX_STOCK = 1_000_000_000;
const MAX_ANCHOR_SKUS = 500;

const skuFields = {
  name: text(128, 1),
  skuPrice: z.number().int().positive().max(MAX_SKU_PRICE),
  iconUrl: text(512).optional(),
  originalIconUrl: text(512).optional(),
  remark: text(512).optional(),
  categoryId: idField,
  limitPerUser: z.number().int().min(0).max(1_000_000).optional(),
};

const skuIdParams = z.object({ skuId: idParam });
const roomIdParams = z.object({ roomId: idParam });
const cartLineParams = z.object({ roomId: idParam, skuId: idParam });
const orderIdParams = z.object({ orderId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "an order id") });
const cartCount = z.number().int().min(1).max(MAX_CART_COUNT);
const MAX_ORDERS_LISTED = 100;

/** Address fields as given; missing or blank ones are ADDRESS_REQUIRED, not a schema error. */
const addressBody = z
  .object({
    name: text(64),
    phone: text(32),
    detail: text(512),
  })
  .partial()
  .nullable()
  .optional();

function requireAddress(a: z.infer<typeof addressBody>): Address {
  const missing = (["name", "phone", "detail"] as const).filter((k) => !a?.[k]?.trim());
  if (missing.length > 0) throw new AppError("ADDRESS_REQUIRED", `address: ${missing.join(", ")} required`, { fields: missing });
  return { name: a!.name!.trim(), phone: a!.phone!.trim(), detail: a!.detail!.trim() };
}

/** What the shop routes call. */
export interface ShopServices {
  categories: Categories;
  skus: SkuCatalogue;
  anchorSkus: AnchorSkus;
  stock: ShopStock;
  carts: Carts;
  orders: Orders;
  /** Warms every on-sale SKU the anchor sells; answers their available units. */
  warmAnchor(anchorId: number): Promise<{ skus: { skuId: number; stockNum: number }[] }>;
}

export const shopRoutes = (s: ShopServices): AnyRoute[] => [
  defineRoute({
    method: "post",
    path: "/api/admin/categories",
    summary: "Create a category (level 1..3; levels 2 and 3 under a parent one level up); repeating it answers the same categoryId",
    tag: "admin",
    auth: ["admin"],
    status: 201,
    body: z.object({
      categoryName: text(64, 1),
      level: z.number().int().min(1).max(MAX_CATEGORY_LEVEL),
      parentId: idField.nullable().optional(),
    }),
    handler: async ({ body }) => ({ categoryId: (await s.categories.create(body)).categoryId }),
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/categories",
    summary: "The category tree",
    tag: "shop",
    auth: "public",
    handler: () => s.categories.tree(),
  }),
  defineRoute({
    method: "post",
    path: "/api/admin/skus",
    summary: "Create a SKU in a level-3 category; the same skuCode and body again answers the same skuId",
    tag: "admin",
    auth: ["admin"],
    status: 201,
    body: z.object({ skuCode: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, "use letters, digits and _ . : -"), ...skuFields }),
    handler: async ({ body }) => ({ skuId: (await s.skus.create(body)).skuId }),
  }),
  defineRoute({
    method: "put",
    path: "/api/admin/skus/:skuId",
    summary: "Change a SKU (partial; status 1 on sale, 0 off); every process serves the change within 1 s",
    tag: "admin",
    auth: ["admin"],
    params: skuIdParams,
    body: z
      .object({ ...skuFields, status: z.union([z.literal(0), z.literal(1)]) })
      .partial()
      .refine((b) => Object.values(b).some((v) => v !== undefined), "name at least one field to change (skuCode cannot change)"),
    handler: async ({ params, body }) => {
      const sku = await s.skus.update(params.skuId, body);
      return { ...publicSku(sku), status: sku.status };
    },
  }),
  defineRoute({
    method: "put",
    path: "/api/admin/skus/:skuId/stock",
    summary: "Set a SKU's total stock (not below the units orders hold); a warmed-up sale moves by the difference, atomically",
    tag: "admin",
    auth: ["admin"],
    params: skuIdParams,
    body: z.object({ stockNum: z.number().int().min(0).max(MAX_STOCK) }),
    handler: ({ params, body }) => s.stock.setTotal(params.skuId, body.stockNum),
  }),
  defineRoute({
    method: "put",
    path: "/api/admin/anchors/:anchorId/skus",
    summary: "Set the SKUs an anchor may sell (replaces the set)",
    tag: "admin",
    auth: ["admin"],
    params: z.object({ anchorId: idParam }),
    body: z.object({ skuIds: z.array(idField).max(MAX_ANCHOR_SKUS) }),
    handler: ({ params, body }) => s.anchorSkus.set(params.anchorId, body.skuIds),
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/anchors/:anchorId/skus",
    summary: "The on-sale SKUs an anchor may sell",
    tag: "shop",
    auth: "public",
    params: z.object({ anchorId: idParam }),
    handler: async ({ params }) => (await s.anchorSkus.onSale(params.anchorId)).map(publicSku),
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/skus/:skuId",
    summary: "An on-sale SKU with its available stock",
    tag: "shop",
    auth: "public",
    params: skuIdParams,
    handler: async ({ params }) => {
      const sku = await s.skus.detail(params.skuId);
      return { ...publicSku(sku), stockNum: sku.stockNum };
    },
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/skus/:skuId/stock",
    summary: "An on-sale SKU's available stock",
    tag: "shop",
    auth: "public",
    params: skuIdParams,
    handler: ({ params }) => s.skus.stockOf(params.skuId),
  }),
  defineRoute({
    method: "post",
    path: "/api/shop/anchors/:anchorId/stock/preheat",
    summary: "Warm up the stock of every on-sale SKU the anchor sells (that anchor or an admin)",
    tag: "shop",
    auth: ["anchor", "admin"],
    params: z.object({ anchorId: idParam }),
    handler: async ({ user, params }) => {
      if (user.role !== "admin" && user.userId !== params.anchorId) throw new AppError("FORBIDDEN", "only that anchor or an admin can warm up its stock");
      return s.warmAnchor(params.anchorId);
    },
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/rooms/:roomId/cart",
    summary: "Your cart in the room, with SKU data and the total price",
    tag: "shop",
    auth: "user",
    params: roomIdParams,
    handler: ({ user, params }) => s.carts.view(user.userId, params.roomId),
  }),
  defineRoute({
    method: "post",
    path: "/api/shop/rooms/:roomId/cart/items",
    summary: `Add a SKU the room's anchor sells (count default 1; a line holds at most ${MAX_CART_COUNT})`,
    tag: "shop",
    auth: "user",
    params: roomIdParams,
    body: z.object({ skuId: idField, count: cartCount.default(1) }),
    handler: ({ user, params, body }) => s.carts.add(user.userId, params.roomId, body.skuId, body.count),
  }),
  defineRoute({
    method: "patch",
    path: "/api/shop/rooms/:roomId/cart/items/:skuId",
    summary: "Set a cart line's count; 0 removes it",
    tag: "shop",
    auth: "user",
    params: cartLineParams,
    body: z.object({ count: z.number().int().min(0).max(MAX_CART_COUNT) }),
    handler: ({ user, params, body }) => s.carts.set(user.userId, params.roomId, params.skuId, body.count),
  }),
  defineRoute({
    method: "delete",
    path: "/api/shop/rooms/:roomId/cart/items/:skuId",
    summary: "Remove a cart line",
    tag: "shop",
    auth: "user",
    params: cartLineParams,
    handler: ({ user, params }) => s.carts.remove(user.userId, params.roomId, params.skuId),
  }),
  defineRoute({
    method: "delete",
    path: "/api/shop/rooms/:roomId/cart",
    summary: "Empty your cart in the room",
    tag: "shop",
    auth: "user",
    params: roomIdParams,
    handler: ({ user, params }) => s.carts.clear(user.userId, params.roomId),
  }),
  defineRoute({
    method: "post",
    path: "/api/shop/rooms/:roomId/orders",
    summary: "Prepare an order from your cart: every line reserved or none (OUT_OF_STOCK lists the SKUs short); requestId makes it idempotent",
    tag: "shop",
    auth: "user",
    status: 201,
    params: roomIdParams,
    body: z.object({ address: addressBody, requestId: requestIdField.optional() }),
    handler: async ({ user, params, body }) => {
      const o = await s.orders.prepare(user.userId, params.roomId, { address: requireAddress(body.address), requestId: body.requestId });
      return { orderId: o.orderId, status: o.status, items: o.items, totalPrice: o.totalPrice, expireAt: o.expireAt };
    },
  }),
  defineRoute({
    method: "post",
    path: "/api/shop/orders/:orderId/pay",
    summary: "Pay your order with coins (once; paying a paid order answers the same)",
    tag: "shop",
    auth: "user",
    params: orderIdParams,
    handler: ({ user, params }) => s.orders.pay(user.userId, params.orderId),
  }),
  defineRoute({
    method: "post",
    path: "/api/shop/orders/:orderId/cancel",
    summary: "Cancel your unpaid order; its stock comes back",
    tag: "shop",
    auth: "user",
    params: orderIdParams,
    handler: ({ user, params }) => s.orders.cancel(user.userId, params.orderId),
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/orders/:orderId",
    summary: "One of your orders",
    tag: "shop",
    auth: "user",
    params: orderIdParams,
    handler: ({ user, params }) => s.orders.get(user.userId, params.orderId),
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/orders",
    summary: `Your orders, newest first (at most ${MAX_ORDERS_LISTED}), optionally of one room and one status`,
    tag: "shop",
    auth: "user",
    query: z.object({ roomId: idParam.optional(), status: z.enum(ORDER_STATUS_NAMES).optional() }),
    handler: ({ user, query }) => s.orders.list(user.userId, { ...query, limit: MAX_ORDERS_LISTED }),
  }),
];
