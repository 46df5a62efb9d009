// Wiring, once at boot: config → adapters → services. No container, no
// globals: everything a request or a consumer needs hangs off `Deps`.
import type { Config } from "./config.ts";
import { createHot, type Hot } from "./hot/index.ts";
import { createCacheBus, type CacheBus } from "./lib/cache-bus.ts";
import { createLogger } from "./lib/logger.ts";
import { createMetrics, type Metrics } from "./lib/metrics.ts";
import { createEventLog } from "./eventlog/index.ts";
import type { KafkaConsumerTuning } from "./eventlog/kafka.ts";
import type { EventLog, LogConsumer } from "./eventlog/port.ts";
import { TOPICS } from "./eventlog/topics.ts";
import { migrate } from "./store/migrator.ts";
import { openMysqlStore, openSqliteStore, type Store } from "./store/store.ts";
import { createGiftCatalogue } from "./gifts/catalogue.ts";
import { createGiftConsumer, type GiftConsumerHooks } from "./gifts/consumer.ts";
import { createGiftHistory } from "./gifts/history.ts";
import { createGiftSender } from "./gifts/send.ts";
import { createRoomService } from "./rooms/service.ts";
import { createShop } from "./shop/index.ts";
import { createWalletService } from "./wallet/service.ts";
import { createBank, createPublicUrl } from "./bank/index.ts";
import { createOutboxRelay } from "./outbox/relay.ts";
import { createPush, type Push } from "./ws/push.ts";

export interface DepsOptions {
  /** Skip running migrations (a pool's workers: the primary already ran them). */
  skipMigrations?: boolean;
  giftConsumerHooks?: GiftConsumerHooks;
  /** Kafka consumer timings (tests shorten them: the mock broker waits a session timeout on joins). */
  kafkaConsumer?: Partial<KafkaConsumerTuning>;
  /** Use this hot store instead of opening one (it is then not closed here). */
  hot?: Hot;
  /** Run the outbox relay in start() (default true; tests switch it off to leave events in the outbox). */
  outboxRelay?: boolean;
  /** Run the sandbox provider's notification sender in start() (default true). */
  sandboxWorker?: boolean;
}

export async function createDeps(config: Config, options: DepsOptions = {}) {
  const log = createLogger({ profile: config.profile, pid: process.pid });
  const metrics: Metrics = createMetrics();
  const store: Store = config.profile === "cluster" ? openMysqlStore(config.mysqlUrl!) : openSqliteStore(config.sqlitePath);
  if (!options.skipMigrations) await migrate(store);
  const ownsHot = !options.hot;
  const hot: Hot = options.hot ?? (await createHot(config, log));
  const events: EventLog = await createEventLog(config, store, options.kafkaConsumer);
  const cacheBus: CacheBus = createCacheBus(hot.bus, log);
  const push: Push = createPush(hot.bus);

  const wallet = createWalletService({ store, hot, log });
  const shop = createShop({ store, cacheBus });
  const rooms = createRoomService({ store, cacheBus, shop: shop.anchorSkus });
  const catalogue = createGiftCatalogue({ store, cacheBus });
  const gifts = {
    catalogue,
    sender: createGiftSender({ events, wallet, rooms, catalogue, metrics, log }),
    history: createGiftHistory({ store, wallet }),
    consumer: createGiftConsumer({ store, wallet, push, metrics, log, hooks: options.giftConsumerHooks }),
  };

  // Where this deployment is reached (pay pages, sandbox notifications);
  // startServer resolves it when the configured port is 0.
  const publicUrl = createPublicUrl(config.publicUrl);
  const outbox = createOutboxRelay({ store, events, logger: log });
  const bank = createBank({ config, store, cacheBus, wallet, outbox, publicUrl, log });

  const consumers: LogConsumer[] = [];
  let started = false;
  let closed = false;

  const deps = {
    config,
    log,
    metrics,
    store,
    hot,
    events,
    cacheBus,
    push,
    wallet,
    rooms,
    shop,
    gifts,
    publicUrl,
    outbox,
    bank,

    /** Starts what runs beside requests: cache invalidation and the consumers. */
    async start(opts: { consumers?: boolean } = {}): Promise<void> {
      if (started) return;
      started = true;
      await cacheBus.start();
      if (options.outboxRelay !== false) outbox.start();
      if (options.sandboxWorker !== false) bank.sandbox.sender.start();
      if (opts.consumers === false) return;
      const giftConsumer = await events.consume({
        topic: TOPICS.sendGift,
        group: "gift-persister",
        maxBatch: 200,
        handle: (batch) => gifts.consumer.handle(batch),
        onError: (err) => log.error("send_gift batch failed; will retry", { err }),
      });
      metrics.consumerLag.track({ topic: TOPICS.sendGift, group: "gift-persister" }, () => giftConsumer.lag());
      consumers.push(giftConsumer);
    },

    /** Drains consumers, then closes every connection. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await bank.sandbox.sender.stop();
      await outbox.stop();
      for (const c of consumers.splice(0)) await c.stop();
      await cacheBus.stop();
      await events.close();
      if (ownsHot) await hot.close();
      await store.close();
    },
  };
  return deps;
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;
