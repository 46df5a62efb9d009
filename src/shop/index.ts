// Live commerce (SPEC §7), wired once per process. Today: the catalogue —
// categories, SKUs and their stock totals, which anchor may sell what.
import type { CacheBus } from "../lib/cache-bus.ts";
import type { DomainParts } from "../lib/domain.ts";
import type { Store } from "../store/store.ts";
import { createAnchorSkus } from "./anchor-skus.ts";
import { createSkuCatalogue } from "./catalogue.ts";
import { createCategories } from "./categories.ts";
import { createShopRepo } from "./repo.ts";

import { shopRoutes } from "./routes.ts";

export { shopRoutes };

export function createShopDomain(deps: { store: Store; cacheBus: CacheBus }) {
  const repo = createShopRepo(deps.store);
  const categories = createCategories(repo);
  const anchorSkus = createAnchorSkus({ repo, cacheBus: deps.cacheBus });
  const skus = createSkuCatalogue({ repo, categories, anchorSkus, cacheBus: deps.cacheBus });
  const parts: DomainParts = { name: "shop", routes: shopRoutes };
  return { ...parts, categories, skus, anchorSkus };
}

export type Shop = ReturnType<typeof createShopDomain>;
