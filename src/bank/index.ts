// The recharge domain, wired once per process: products, pay
// orders, the payment provider (the sandbox: its pages and its notification
// sender), and the notification handler.
import type { Config } from "../config.ts";
import type { CacheBus } from "../lib/cache-bus.ts";
import type { DomainParts } from "../lib/domain.ts";
import type { Logger } from "../lib/logger.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { OutboxRelay } from "../outbox/relay.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import { createNotifyHandler } from "./notify.ts";
import { createPayOrders } from "./orders.ts";
import { createPayProducts } from "./products.ts";
import type { PublicUrl } from "./public-url.ts";
import { createBankRepo } from "./repo.ts";
import { bankRoutes } from "./routes.ts";
import { createSandboxProvider } from "./sandbox.ts";

export { createPublicUrl, type PublicUrl } from "./public-url.ts";

export function createBankDomain(deps: { config: Config; store: Store; cacheBus: CacheBus; wallet: WalletService; outbox: OutboxRelay; publicUrl: PublicUrl; metrics: Metrics; logger: Logger }) {
  const log = deps.logger.child({ component: "bank" });
  const repo = createBankRepo(deps.store);
  const products = createPayProducts({ repo, cacheBus: deps.cacheBus, log });
  const sandbox = createSandboxProvider({ repo, publicUrl: deps.publicUrl, paySecret: deps.config.paySecret, log });
  const orders = createPayOrders({ repo, products, provider: sandbox });
  const notify = createNotifyHandler({ store: deps.store, repo, wallet: deps.wallet, outbox: deps.outbox, paySecret: deps.config.paySecret, log });
  const parts: DomainParts = {
    name: "bank",
    routes: bankRoutes({ wallet: deps.wallet, products, orders, notify, metrics: deps.metrics, log: deps.logger }),
    workers: sandbox.workers,
    pages: (app) => sandbox.mountPages(app),
    close: () => notify.close(),
  };
  return {
    ...parts,
    products,
    orders,
    notify,
    /** The payment provider in use; today the sandbox. */
    provider: sandbox,
  };
}

export type Bank = ReturnType<typeof createBankDomain>;
