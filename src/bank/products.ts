// Recharge products. Listing reads a process-local copy per product type,
// at most PRODUCT_CACHE_TTL_MS old: a price shown a few seconds late is
// harmless, because an order always takes its price and coins from the
// database at creation (getValid reads the row). Nothing in the application
// changes pay_product (the start-up seed only inserts missing rows; there is
// no admin endpoint), so no writer drops the copy today; an operator's change
// by hand is served within the TTL. The copy is the shared cache helper's
// (src/lib/cache.ts), so a writer added later drops it in every process
// with the cache's drop.
import type { CacheBus } from "../lib/cache-bus.ts";
import { createCache } from "../lib/cache.ts";
import type { Logger } from "../lib/logger.ts";
import type { BankRepo, ProductRow } from "./repo.ts";

export const PRODUCT_CACHE_TTL_MS = 10_000;

export interface PayProduct {
  id: number;
  name: string;
  /** Cents. */
  price: number;
  coinNum: number;
  type: number;
}

/** The coin count of a product's extra JSON (`{"coin": n}`), or null when it is missing or malformed. */
export function coinsFromExtra(extra: string): number | null {
  try {
    const coin = (JSON.parse(extra) as { coin?: unknown } | null)?.coin;
    return typeof coin === "number" && Number.isSafeInteger(coin) && coin > 0 ? coin : null;
  } catch {
    return null;
  }
}

export function createPayProducts(deps: { repo: BankRepo; cacheBus: CacheBus; log: Logger }) {
  const { repo } = deps;

  /** A valid row as a product; null (and a warning) when its extra JSON carries no coins. */
  function toProduct(r: ProductRow): PayProduct | null {
    const coinNum = coinsFromExtra(r.extra);
    if (coinNum === null) {
      deps.log.warn("pay product has no valid coin count in extra; not offered", { productId: r.id, extra: r.extra });
      return null;
    }
    return { id: Number(r.id), name: r.name, price: Number(r.price), coinNum, type: Number(r.type) };
  }

  async function loadValid(type: number): Promise<PayProduct[]> {
    const rows = await repo.listValidProducts(type);
    return rows.map(toProduct).filter((p): p is PayProduct => p !== null);
  }

  const cache = createCache<number, PayProduct[]>({ name: "products", ttlMs: PRODUCT_CACHE_TTL_MS, bus: deps.cacheBus, load: loadValid });

  return {
    /** Valid products of a type, price descending (ties by id), from the process-local copy. */
    listValid(type: number): Promise<PayProduct[]> {
      return cache.get(type);
    },

    /** A valid product straight from the database (orders take price and coins from the truth). */
    async getValid(id: number): Promise<PayProduct | null> {
      const r = await repo.findValidProduct(id);
      return r ? toProduct(r) : null;
    },
  };
}

export type PayProducts = ReturnType<typeof createPayProducts>;
