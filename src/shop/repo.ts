// Every SQL statement of the shop domain, on either dialect.
import type { Selectable } from "kysely";
import type { SkuInfoTable } from "../store/schema.ts";
import type { Db, Store } from "../store/store.ts";
import { STOCK_HOLDING_STATUSES, type Category, type Sku } from "./types.ts";

type SkuRow = Selectable<SkuInfoTable>;

function toSku(r: SkuRow): Sku {
  return {
    skuId: Number(r.sku_id),
    skuCode: r.sku_code,
    name: r.name,
    skuPrice: Number(r.sku_price),
    iconUrl: r.icon_url,
    originalIconUrl: r.original_icon_url,
    remark: r.remark,
    categoryId: Number(r.category_id),
    status: Number(r.status),
    limitPerUser: Number(r.limit_per_user),
  };
}

function toCategory(r: { id: number; category_name: string; level: number; parent_id: number }): Category {
  const parentId = Number(r.parent_id);
  return { categoryId: Number(r.id), categoryName: r.category_name, level: Number(r.level), parentId: parentId === 0 ? null : parentId };
}

/** Column values of a SKU (sku_id and times aside). */
export type SkuColumns = Omit<Sku, "skuId">;

/** The columns a patch changes. */
function patchColumns(s: Partial<SkuColumns>) {
  return {
    ...(s.name !== undefined && { name: s.name }),
    ...(s.skuPrice !== undefined && { sku_price: s.skuPrice }),
    ...(s.iconUrl !== undefined && { icon_url: s.iconUrl }),
    ...(s.originalIconUrl !== undefined && { original_icon_url: s.originalIconUrl }),
    ...(s.remark !== undefined && { remark: s.remark }),
    ...(s.categoryId !== undefined && { category_id: s.categoryId }),
    ...(s.status !== undefined && { status: s.status }),
    ...(s.limitPerUser !== undefined && { limit_per_user: s.limitPerUser }),
  };
}

export function createShopRepo(store: Store) {
  const db = store.db;

  /** Units held by PREPARE_PAY/HAS_PAY order lines, per SKU (absent = 0). */
  async function heldUnits(q: Db, skuIds: number[]): Promise<Map<number, number>> {
    if (skuIds.length === 0) return new Map();
    const rows = await q
      .selectFrom("shop_order_item")
      .select(["sku_id", (eb) => eb.fn.sum<number | string>("count").as("held")])
      .where("sku_id", "in", skuIds)
      .where("status", "in", [...STOCK_HOLDING_STATUSES])
      .groupBy("sku_id")
      .execute();
    return new Map(rows.map((r) => [Number(r.sku_id), Number(r.held)]));
  }

  async function stockTotals(q: Db, skuIds: number[]): Promise<Map<number, number>> {
    if (skuIds.length === 0) return new Map();
    const rows = await q.selectFrom("sku_stock").select(["sku_id", "stock_num"]).where("sku_id", "in", skuIds).execute();
    return new Map(rows.map((r) => [Number(r.sku_id), Number(r.stock_num)]));
  }

  async function insertAnchorSkus(q: Db, anchorId: number, skuIds: number[]): Promise<void> {
    if (skuIds.length === 0) return;
    const now = Date.now();
    await q
      .insertInto("anchor_shop")
      .values(skuIds.map((sku_id) => ({ anchor_id: anchorId, sku_id, create_time: now })))
      .execute();
  }

  return {
    // ---- categories ----
    async insertCategory(c: { categoryName: string; level: number; parentId: number | null }): Promise<number> {
      const now = Date.now();
      const res = await db
        .insertInto("category")
        .values({ category_name: c.categoryName, level: c.level, parent_id: c.parentId ?? 0, create_time: now, update_time: now })
        .executeTakeFirstOrThrow();
      return Number(res.insertId);
    },

    async getCategory(categoryId: number): Promise<Category | null> {
      const r = await db.selectFrom("category").selectAll().where("id", "=", categoryId).executeTakeFirst();
      return r ? toCategory(r) : null;
    },

    async findSiblingCategory(parentId: number | null, categoryName: string): Promise<Category | null> {
      const r = await db.selectFrom("category").selectAll().where("parent_id", "=", parentId ?? 0).where("category_name", "=", categoryName).executeTakeFirst();
      return r ? toCategory(r) : null;
    },

    async listCategories(): Promise<Category[]> {
      const rows = await db.selectFrom("category").selectAll().orderBy("level").orderBy("id").execute();
      return rows.map(toCategory);
    },

    // ---- SKUs ----
    async insertSku(s: SkuColumns): Promise<number> {
      const now = Date.now();
      const res = await db
        .insertInto("sku_info")
        .values({
          sku_code: s.skuCode,
          name: s.name,
          sku_price: s.skuPrice,
          icon_url: s.iconUrl,
          original_icon_url: s.originalIconUrl,
          remark: s.remark,
          category_id: s.categoryId,
          status: s.status,
          limit_per_user: s.limitPerUser,
          create_time: now,
          update_time: now,
        })
        .executeTakeFirstOrThrow();
      return Number(res.insertId);
    },

    async getSku(skuId: number): Promise<Sku | null> {
      const r = await db.selectFrom("sku_info").selectAll().where("sku_id", "=", skuId).executeTakeFirst();
      return r ? toSku(r) : null;
    },

    async getSkuByCode(skuCode: string): Promise<Sku | null> {
      const r = await db.selectFrom("sku_info").selectAll().where("sku_code", "=", skuCode).executeTakeFirst();
      return r ? toSku(r) : null;
    },

    /** The ids among `skuIds` that exist. */
    async existingSkuIds(skuIds: number[]): Promise<Set<number>> {
      if (skuIds.length === 0) return new Set();
      const rows = await db.selectFrom("sku_info").select("sku_id").where("sku_id", "in", skuIds).execute();
      return new Set(rows.map((r) => Number(r.sku_id)));
    },

    async updateSku(skuId: number, patch: Partial<SkuColumns>): Promise<void> {
      await db
        .updateTable("sku_info")
        .set({ ...patchColumns(patch), update_time: Date.now() })
        .where("sku_id", "=", skuId)
        .execute();
    },

    // ---- stock ----
    /**
     * Sets a SKU's total, refusing a total below the units orders hold
     * (available would go negative). Answers the units held.
     */
    async setStockTotal(skuId: number, total: number): Promise<{ ok: boolean; held: number; previous: number }> {
      return store.transact(async (trx) => {
        // Lock the row first (MySQL), as an order insert does, so the held
        // count below cannot change before the new total is written.
        let current = trx.selectFrom("sku_stock").select("stock_num").where("sku_id", "=", skuId);
        if (store.dialect === "mysql") current = current.forUpdate();
        const previous = Number((await current.executeTakeFirst())?.stock_num ?? 0);
        const held = (await heldUnits(trx, [skuId])).get(skuId) ?? 0;
        if (total < held) return { ok: false, held, previous };
        const now = Date.now();
        const insert = trx.insertInto("sku_stock").values({ sku_id: skuId, stock_num: total, update_time: now });
        await (store.dialect === "mysql"
          ? insert.onDuplicateKeyUpdate({ stock_num: total, update_time: now })
          : insert.onConflict((oc) => oc.column("sku_id").doUpdateSet({ stock_num: total, update_time: now }))
        ).execute();
        return { ok: true, held, previous };
      });
    },

    /** total − units held by PREPARE_PAY/HAS_PAY order lines, per SKU (exact; read from the truth). */
    async availableStock(skuIds: number[]): Promise<Map<number, { total: number; available: number }>> {
      const [totals, held] = await Promise.all([stockTotals(db, skuIds), heldUnits(db, skuIds)]);
      return new Map(
        skuIds.map((id) => {
          const total = totals.get(id) ?? 0;
          return [id, { total, available: total - (held.get(id) ?? 0) }];
        }),
      );
    },

    // ---- which anchor sells what ----
    /** Replaces the anchor's SKU set in one transaction. */
    async replaceAnchorSkus(anchorId: number, skuIds: number[]): Promise<void> {
      await store.transact(async (trx) => {
        await trx.deleteFrom("anchor_shop").where("anchor_id", "=", anchorId).execute();
        await insertAnchorSkus(trx, anchorId, skuIds);
      });
    },

    /** Adds SKUs to an anchor's set, keeping what is there. */
    async addAnchorSkus(anchorId: number, skuIds: number[]): Promise<void> {
      const have = new Set(
        (await db.selectFrom("anchor_shop").select("sku_id").where("anchor_id", "=", anchorId).execute()).map((r) => Number(r.sku_id)),
      );
      await insertAnchorSkus(db, anchorId, skuIds.filter((id) => !have.has(id)));
    },

    /** The anchor's SKUs in `status`, by id. */
    async anchorSkus(anchorId: number, status: number): Promise<Sku[]> {
      const rows = await db
        .selectFrom("anchor_shop")
        .innerJoin("sku_info", "sku_info.sku_id", "anchor_shop.sku_id")
        .selectAll("sku_info")
        .where("anchor_shop.anchor_id", "=", anchorId)
        .where("sku_info.status", "=", status)
        .orderBy("sku_info.sku_id")
        .execute();
      return rows.map(toSku);
    },
  };
}

export type ShopRepo = ReturnType<typeof createShopRepo>;
