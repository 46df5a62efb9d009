// The wallet domain: coin balances, the ledger, and their routes.
import type { DomainParts } from "../lib/domain.ts";
import type { Logger } from "../lib/logger.ts";
import type { Hot } from "../hot/index.ts";
import type { Store } from "../store/store.ts";
import { walletRoutes } from "./routes.ts";
import { createWalletService } from "./service.ts";

export function createWalletDomain(deps: { store: Store; hot: Hot; logger: Logger }) {
  const service = createWalletService({ store: deps.store, hot: deps.hot, log: deps.logger });
  const parts: DomainParts = { name: "wallet", routes: walletRoutes({ wallet: service }) };
  return { ...parts, service };
}
