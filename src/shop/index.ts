// The shop domain: the catalogue (categories, SKUs, stock totals,
// which anchor may sell what), the flash sale's stock, carts, orders, the
// workers beside them (sweeper, reconciler, stock sync), and their routes.
import type { Config } from "../config.ts";
import type { Hot } from "../hot/index.ts";
import type { CacheBus } from "../lib/cache-bus.ts";
import type { DomainParts } from "../lib/domain.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { OutboxRelay } from "../outbox/relay.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import type { Push } from "../ws/push.ts";
import { createAnchorSkus } from "./anchor-skus.ts";
import { createCarts, type ShopRooms } from "./cart.ts";
import { createSkuCatalogue } from "./catalogue.ts";
import { createCategories } from "./categories.ts";
import { createOrders, type ShopHooks } from "./orders.ts";
import { createOrdersRepo } from "./orders-repo.ts";
import { createShopRepo } from "./repo.ts";
import { shopRoutes } from "./routes.ts";
import { createShopStock } from "./stock.ts";
import { createStockPush } from "./stock-push.ts";
import { createShopRounds, createShopWorkers } from "./workers.ts";

export function createShopDomain(deps: {
  config: Pick<Config, "orderTtlSec" | "stockSyncSec">;
  store: Store;
  hot: Hot;
  cacheBus: CacheBus;
  push: Push;
  wallet: WalletService;
  outbox: Pick<OutboxRelay, "wake">;
  rooms: ShopRooms;
  metrics: Metrics;
  logger: Logger;
  hooks?: ShopHooks;
}) {
  const { store, hot, cacheBus, logger: log } = deps;
  const repo = createShopRepo(store);
  const ordersRepo = createOrdersRepo(store);
  const categories = createCategories(repo);
  const anchorSkus = createAnchorSkus({ repo, cacheBus });
  const skus = createSkuCatalogue({ repo, categories, anchorSkus, cacheBus, liveAvailable: (skuId) => hot.stock.available(skuId) });
  const stockPush = createStockPush(deps.push, log);
  const stock = createShopStock({ hot, repo: ordersRepo, skus, cacheBus, pushes: stockPush, log });
  const carts = createCarts({ hot, rooms: deps.rooms, anchorSkus });
  const orders = createOrders({ ...deps, log, repo: ordersRepo, stock, carts, guards: hot.guards, orderTtlSec: deps.config.orderTtlSec });
  const rounds = createShopRounds({ repo: ordersRepo, stock, orders, log });

  /** Warms every on-sale SKU the anchor sells; answers their available units. */
  async function warmAnchor(anchorId: number, roomId?: number) {
    const out: { skuId: number; stockNum: number }[] = [];
    for (const s of await anchorSkus.onSale(anchorId)) out.push({ skuId: s.skuId, stockNum: await stock.warm(s.skuId, roomId) });
    return { skus: out };
  }

  const parts: DomainParts = {
    name: "shop",
    routes: shopRoutes({ categories, skus, anchorSkus, stock, carts, orders, warmAnchor }),
    workers: createShopWorkers({ rounds, store, guards: hot.guards, stockSyncSec: deps.config.stockSyncSec, logger: log }),
    close: () => ordersRepo.close(),
  };
  return {
    ...parts,
    categories,
    skus,
    anchorSkus,
    stock,
    carts,
    orders,
    rounds,
    warmAnchor,

    /** A room started: its anchor's SKUs are warmed (first use would too; this takes the cost off the first buyers). */
    async roomStarted(anchorId: number, roomId: number): Promise<void> {
      await warmAnchor(anchorId, roomId).catch((err) => log.warn("stock warm-up at room start failed; SKUs warm on first use", { err, anchorId, roomId }));
    },
  };
}

export type Shop = ReturnType<typeof createShopDomain>;
