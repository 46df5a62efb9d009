// Which anchor may sell which SKU. The list of an anchor's on-sale SKUs is
// read on every room page and (later) every cart add, so each process keeps
// a copy: a minute for anchors that sell something, a few seconds for those
// that sell nothing (so unknown anchor ids cost little). An admin change
// drops copies in every process through the cache bus: a change of the
// anchor's set drops that anchor; a change of a SKU drops every anchor's
// copy, since any of them may list it (SKU changes are rare admin actions).
import type { CacheBus } from "../lib/cache-bus.ts";
import { AppError } from "../lib/errors.ts";
import { createCache } from "../lib/cache.ts";
import type { ShopRepo } from "./repo.ts";
import { SkuStatus, type Sku } from "./types.ts";

const ANCHOR_SKUS_CACHE_MS = 60_000;
const EMPTY_ANCHOR_CACHE_MS = 5_000;

export function createAnchorSkus(deps: { repo: ShopRepo; cacheBus: CacheBus }) {
  const { repo } = deps;
  const lists = createCache<number, Sku[]>({
    name: "anchor-skus",
    ttlMs: (skus) => (skus.length > 0 ? ANCHOR_SKUS_CACHE_MS : EMPTY_ANCHOR_CACHE_MS),
    bus: deps.cacheBus,
    load: (anchorId) => repo.anchorSkus(anchorId, SkuStatus.ON_SALE),
  });

  return {
    /** Replaces the SKUs the anchor may sell; every SKU must exist (SKU_NOT_FOUND lists those that do not). */
    async set(anchorId: number, skuIds: number[]): Promise<{ anchorId: number; skuIds: number[] }> {
      const unique = [...new Set(skuIds)].sort((a, b) => a - b);
      const existing = await repo.existingSkuIds(unique);
      const missing = unique.filter((id) => !existing.has(id));
      if (missing.length > 0) throw new AppError("SKU_NOT_FOUND", `skuIds: no sku ${missing.join(", ")}`, { skuIds: missing });
      await repo.replaceAnchorSkus(anchorId, unique);
      await lists.drop(anchorId);
      return { anchorId, skuIds: unique };
    },

    /** Adds SKUs to what the anchor may sell, keeping the rest (the demo seed). */
    async add(anchorId: number, skuIds: number[]): Promise<void> {
      await repo.addAnchorSkus(anchorId, skuIds);
      await lists.drop(anchorId);
    },

    /** The anchor's on-sale SKUs by id, from this process's copy. */
    onSale(anchorId: number): Promise<Sku[]> {
      return lists.get(anchorId);
    },

    /** Drops every anchor's list in every process (a SKU changed; any list may hold it). */
    dropEveryList(): Promise<void> {
      return lists.dropAll();
    },

    /** Whether the anchor may sell at least one on-sale SKU (a room's `shopEnabled`). */
    async sellsAnything(anchorId: number): Promise<boolean> {
      return (await this.onSale(anchorId)).length > 0;
    },
  };
}

export type AnchorSkus = ReturnType<typeof createAnchorSkus>;
