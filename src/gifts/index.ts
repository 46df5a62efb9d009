// The gifts domain: the catalogue, admitting sends, the consumer that takes
// them to the ledger, the history, and their routes.
import type { EventLog } from "../eventlog/port.ts";
import { TOPICS } from "../eventlog/topics.ts";
import type { CacheBus } from "../lib/cache-bus.ts";
import type { DomainParts } from "../lib/domain.ts";
import type { Logger } from "../lib/logger.ts";
import type { LeaseLock } from "../lib/worker.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { RoomService } from "../rooms/service.ts";
import type { Store } from "../store/store.ts";
import type { WalletService } from "../wallet/service.ts";
import type { Push } from "../ws/push.ts";
import { createGiftCatalogue } from "./catalogue.ts";
import { createGiftConsumer, type GiftConsumerHooks } from "./consumer.ts";
import { createGiftHistory } from "./history.ts";
import { giftRoutes } from "./routes.ts";
import { createGiftRedrive } from "./redrive.ts";
import { createGiftSender, type GiftSendHooks } from "./send.ts";

export function createGiftsDomain(deps: {
  store: Store;
  events: EventLog;
  cacheBus: CacheBus;
  push: Push;
  wallet: WalletService;
  rooms: RoomService;
  metrics: Metrics;
  logger: Logger;
  /** Messages of `topic` waiting for this process's consumers; null when none runs (send status). */
  consumerLag: (topic: string) => number | null;
  /** The re-drive sweeper's lease (one process at a time). */
  lock: LeaseLock;
  /** A pending send older than this is re-published (OVATION_SEND_REDRIVE_SEC). */
  redriveAfterMs: number;
  consumerHooks?: GiftConsumerHooks;
  sendHooks?: GiftSendHooks;
}) {
  const { store, events, cacheBus, push, wallet, rooms, metrics, logger: log } = deps;
  const catalogue = createGiftCatalogue({ store, cacheBus });
  const sender = createGiftSender({ events, wallet, rooms, catalogue, metrics, log, hooks: deps.sendHooks });
  const redrive = createGiftRedrive({ events, wallet, lock: deps.lock, redriveAfterMs: deps.redriveAfterMs, metrics, log });
  const history = createGiftHistory({ store, wallet, backlog: () => deps.consumerLag(TOPICS.sendGift) });
  const consumer = createGiftConsumer({ store, wallet, push, metrics, log, hooks: deps.consumerHooks });
  const parts: DomainParts = {
    name: "gifts",
    routes: giftRoutes({ catalogue, sender, history }),
    workers: [redrive],
    consumers: [
      {
        topic: TOPICS.sendGift,
        group: "gift-persister",
        // MariaDB's round trips cost per statement, not per row: big batches,
        // and the partitions' batches at once (a sender's sends share one
        // partition: key = sender). SQLite's one writer: smaller ones.
        maxBatch: store.dialect === "mysql" ? 1000 : 200,
        concurrentPartitions: store.dialect === "mysql" ? 4 : 1,
        handle: (batch) => consumer.handle(batch),
        onError: (err) => log.error("send_gift batch failed; will retry", { err }),
      },
    ],
  };
  return { ...parts, catalogue, sender, history, consumer, redrive };
}
