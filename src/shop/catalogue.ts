// SKUs and their stock totals. SKU data is read through a
// process-local copy (dropped in every process through the cache bus when an
// admin changes the SKU); stock is never cached here: it is the hot store's
// available while the sale is loaded, else the database's total − the units
// PREPARE_PAY/HAS_PAY orders hold.
import type { CacheBus } from "../lib/cache-bus.ts";
import { AppError } from "../lib/errors.ts";
import { isUniqueViolation } from "../store/store.ts";
import type { Categories } from "./categories.ts";
import { createCache } from "../lib/cache.ts";
import type { AnchorSkus } from "./anchor-skus.ts";
import type { ShopRepo, SkuColumns } from "./repo.ts";
import { MAX_CATEGORY_LEVEL, SkuStatus, type Sku, type SkuInput, type SkuPatch } from "./types.ts";

const SKU_CACHE_MS = 60_000;
/** A SKU id nobody created is remembered briefly, so probing ids costs little. */
const UNKNOWN_SKU_CACHE_MS = 2_000;

export function publicSku(s: Sku) {
  return {
    skuId: s.skuId,
    skuCode: s.skuCode,
    name: s.name,
    skuPrice: s.skuPrice,
    iconUrl: s.iconUrl,
    originalIconUrl: s.originalIconUrl,
    remark: s.remark,
    categoryId: s.categoryId,
    limitPerUser: s.limitPerUser,
  };
}

function columnsOf(input: SkuInput): SkuColumns {
  return {
    skuCode: input.skuCode,
    name: input.name,
    skuPrice: input.skuPrice,
    iconUrl: input.iconUrl ?? "",
    originalIconUrl: input.originalIconUrl ?? "",
    remark: input.remark ?? "",
    categoryId: input.categoryId,
    status: SkuStatus.ON_SALE,
    limitPerUser: input.limitPerUser ?? 0,
  };
}

/** Whether an existing SKU is what `wanted` describes (status aside: an admin may have taken it off sale since). */
function sameSku(existing: Sku, wanted: SkuColumns): boolean {
  return (Object.keys(wanted) as (keyof SkuColumns)[]).every((k) => k === "status" || existing[k] === wanted[k]);
}

export function createSkuCatalogue(deps: {
  repo: ShopRepo;
  categories: Categories;
  anchorSkus: AnchorSkus;
  cacheBus: CacheBus;
  /** The hot store's available while a sale is loaded (in-flight reservations counted), else null. */
  liveAvailable: (skuId: number) => Promise<number | null>;
}) {
  const { repo, categories, anchorSkus } = deps;
  const skus = createCache<number, Sku | null>({
    name: "shop-skus",
    ttlMs: (s) => (s ? SKU_CACHE_MS : UNKNOWN_SKU_CACHE_MS),
    bus: deps.cacheBus,
    load: (skuId) => repo.getSku(skuId),
  });

  /** A SKU changed: drop its copy and every anchor's list, since any of them may list it. */
  async function dropSku(skuId: number): Promise<void> {
    await skus.drop(skuId);
    await anchorSkus.dropEveryList();
  }

  async function checkCategory(categoryId: number): Promise<void> {
    const c = await categories.get(categoryId);
    if (!c) throw new AppError("PARAM_ERROR", `categoryId: category ${categoryId} does not exist`);
    if (c.level !== MAX_CATEGORY_LEVEL) throw new AppError("PARAM_ERROR", `categoryId: category ${categoryId} is level ${c.level}; SKUs go in level-${MAX_CATEGORY_LEVEL} categories`);
  }

  async function mustExist(skuId: number): Promise<Sku> {
    const s = await repo.getSku(skuId);
    if (!s) throw new AppError("SKU_NOT_FOUND", `sku ${skuId} does not exist`);
    return s;
  }

  return {
    /**
     * Creates a SKU. skuCode is the SKU's business id and doubles as the
     * create's idempotency key: the same body again answers the same SKU;
     * another body under a taken skuCode is IDEMPOTENCY_CONFLICT.
     */
    async create(input: SkuInput): Promise<Sku> {
      const wanted = columnsOf(input);
      const existing = await repo.getSkuByCode(input.skuCode);
      if (existing) return sameOrConflict(existing, wanted);
      await checkCategory(input.categoryId);
      try {
        const skuId = await repo.insertSku(wanted);
        await dropSku(skuId);
        return { skuId, ...wanted };
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        // A concurrent create of the same skuCode won the insert.
        return sameOrConflict((await repo.getSkuByCode(input.skuCode))!, wanted);
      }
    },

    /** Partial update; every process serves the change within the cache bus's delivery time. */
    async update(skuId: number, patch: SkuPatch): Promise<Sku> {
      await mustExist(skuId);
      if (patch.categoryId !== undefined) await checkCategory(patch.categoryId);
      await repo.updateSku(skuId, patch);
      await dropSku(skuId);
      return mustExist(skuId);
    },

    /** A SKU by its code, on sale or not, from the database. */
    getByCode: (skuCode: string) => repo.getSkuByCode(skuCode),

    /** An on-sale SKU from this process's copy, or null. */
    getOnSale,

    /** Sets a SKU's total stock; refused below the units orders already hold. */
    async setStock(skuId: number, total: number): Promise<{ skuId: number; total: number; stockNum: number; previous: number }> {
      await mustExist(skuId);
      const r = await repo.setStockTotal(skuId, total);
      if (!r.ok) throw new AppError("PARAM_ERROR", `stockNum: ${r.held} units are held by orders; the total cannot go below that`);
      return { skuId, total, stockNum: total - r.held, previous: r.previous };
    },

    /** Available stock of an on-sale SKU: total − units held by PREPARE_PAY/HAS_PAY orders. */
    async stockOf(skuId: number): Promise<{ skuId: number; stockNum: number }> {
      await onSaleOrThrow(skuId);
      return { skuId, stockNum: await available(skuId) };
    },

    /** An on-sale SKU with its available stock. */
    async detail(skuId: number): Promise<Sku & { stockNum: number }> {
      const sku = await onSaleOrThrow(skuId);
      return { ...sku, stockNum: await available(skuId) };
    },
  };

  async function getOnSale(skuId: number): Promise<Sku | null> {
    const s = await skus.get(skuId);
    return s && s.status === SkuStatus.ON_SALE ? s : null;
  }

  async function onSaleOrThrow(skuId: number): Promise<Sku> {
    const s = await getOnSale(skuId);
    if (!s) throw new AppError("SKU_NOT_FOUND", `sku ${skuId} does not exist or is not on sale`);
    return s;
  }

  async function available(skuId: number): Promise<number> {
    return (await deps.liveAvailable(skuId)) ?? (await repo.availableStock([skuId])).get(skuId)!.available;
  }

  function sameOrConflict(existing: Sku, wanted: SkuColumns): Sku {
    if (!sameSku(existing, wanted)) {
      throw new AppError("IDEMPOTENCY_CONFLICT", `skuCode: ${wanted.skuCode} is taken by sku ${existing.skuId}, which differs from this request`, { skuId: existing.skuId });
    }
    return existing;
  }
}

export type SkuCatalogue = ReturnType<typeof createSkuCatalogue>;
