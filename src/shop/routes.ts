// Live-commerce catalogue endpoints (SPEC §7): categories, SKUs, stock
// totals, and which anchor may sell what.
import { z } from "zod";
import { defineRoute, idParam } from "../lib/route.ts";
import { publicSku } from "./catalogue.ts";
import { MAX_CATEGORY_LEVEL } from "./types.ts";

/** An id in a JSON body: a number, never a string or a boolean. */
const bodyId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Coins; ceiling keeps any order total (price × count) a safe integer. */
export const MAX_SKU_PRICE = 100_000_000;
export const MAX_STOCK = 1_000_000_000;
const MAX_ANCHOR_SKUS = 500;

const skuFields = {
  name: z.string().trim().min(1).max(128),
  skuPrice: z.number().int().positive().max(MAX_SKU_PRICE),
  iconUrl: z.string().max(512).optional(),
  originalIconUrl: z.string().max(512).optional(),
  remark: z.string().max(512).optional(),
  categoryId: bodyId,
  limitPerUser: z.number().int().min(0).max(1_000_000).optional(),
};

const skuIdParams = z.object({ skuId: idParam });

export const shopRoutes = [
  defineRoute({
    method: "post",
    path: "/api/admin/categories",
    summary: "Create a category (level 1..3; levels 2 and 3 under a parent one level up); repeating it answers the same categoryId",
    tag: "admin",
    auth: ["admin"],
    status: 201,
    body: z.object({
      categoryName: z.string().trim().min(1).max(64),
      level: z.number().int().min(1).max(MAX_CATEGORY_LEVEL),
      parentId: bodyId.nullable().optional(),
    }),
    handler: async ({ deps, body }) => ({ categoryId: (await deps.shop.categories.create(body)).categoryId }),
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/categories",
    summary: "The category tree",
    tag: "shop",
    auth: "public",
    handler: ({ deps }) => deps.shop.categories.tree(),
  }),
  defineRoute({
    method: "post",
    path: "/api/admin/skus",
    summary: "Create a SKU in a level-3 category; the same skuCode and body again answers the same skuId",
    tag: "admin",
    auth: ["admin"],
    status: 201,
    body: z.object({ skuCode: z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, "use letters, digits and _ . : -"), ...skuFields }),
    handler: async ({ deps, body }) => ({ skuId: (await deps.shop.skus.create(body)).skuId }),
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
    handler: async ({ deps, params, body }) => {
      const s = await deps.shop.skus.update(params.skuId, body);
      return { ...publicSku(s), status: s.status };
    },
  }),
  defineRoute({
    method: "put",
    path: "/api/admin/skus/:skuId/stock",
    summary: "Set a SKU's total stock (not below the units orders hold)",
    tag: "admin",
    auth: ["admin"],
    params: skuIdParams,
    body: z.object({ stockNum: z.number().int().min(0).max(MAX_STOCK) }),
    handler: ({ deps, params, body }) => deps.shop.skus.setStock(params.skuId, body.stockNum),
  }),
  defineRoute({
    method: "put",
    path: "/api/admin/anchors/:anchorId/skus",
    summary: "Set the SKUs an anchor may sell (replaces the set)",
    tag: "admin",
    auth: ["admin"],
    params: z.object({ anchorId: idParam }),
    body: z.object({ skuIds: z.array(bodyId).max(MAX_ANCHOR_SKUS) }),
    handler: ({ deps, params, body }) => deps.shop.anchorSkus.set(params.anchorId, body.skuIds),
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/anchors/:anchorId/skus",
    summary: "The on-sale SKUs an anchor may sell",
    tag: "shop",
    auth: "public",
    params: z.object({ anchorId: idParam }),
    handler: async ({ deps, params }) => (await deps.shop.anchorSkus.onSale(params.anchorId)).map(publicSku),
  }),
  defineRoute({
    method: "get",
    path: "/api/shop/skus/:skuId",
    summary: "An on-sale SKU with its available stock",
    tag: "shop",
    auth: "public",
    params: skuIdParams,
    handler: async ({ deps, params }) => {
      const sku = await deps.shop.skus.detail(params.skuId);
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
    handler: ({ deps, params }) => deps.shop.skus.stockOf(params.skuId),
  }),
];
