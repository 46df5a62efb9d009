// Wiring, once at boot: config → adapters → services. No container, no
// globals: everything a request or a consumer needs hangs off `Deps`.
import { blaming, type Config } from "./config.ts";
import { createHot, type Hot } from "./hot/index.ts";
import { createCacheBus, type CacheBus } from "./lib/cache-bus.ts";
import type { DomainParts } from "./lib/domain.ts";
import { createLogger, routeProcessWarnings } from "./lib/logger.ts";
import { createMetrics, type Metrics } from "./lib/metrics.ts";
import type { Worker } from "./lib/worker.ts";
import { createEventLog, type KafkaConsumerTuning } from "./eventlog/index.ts";
import type { ConsumeOptions, EventLog, LogConsumer } from "./eventlog/port.ts";
import { backoffDelay, DEFAULT_RETRY_BACKOFF } from "./lib/backoff.ts";
import { migrate } from "./store/migrator.ts";
import { openMysqlStore, openSqliteStore, type Store } from "./store/store.ts";
import type { GiftConsumerHooks } from "./gifts/consumer.ts";
import type { GiftSendHooks } from "./gifts/send.ts";
import { createGiftsDomain } from "./gifts/index.ts";
import { createRoomsDomain } from "./rooms/index.ts";
import { createShopDomain } from "./shop/index.ts";
import type { ShopHooks } from "./shop/orders.ts";
import { createWalletDomain } from "./wallet/index.ts";
import { createBankDomain, createPublicUrl } from "./bank/index.ts";
import { createOutboxRelay } from "./outbox/relay.ts";
import { createPush, type Push } from "./ws/push.ts";

/** Where one of this process's consumers stands (/readyz). */
export type ConsumerState = "joining" | "running";

export interface DepsOptions {
  /** Skip running migrations (a pool's workers: the primary already ran them). */
  skipMigrations?: boolean;
  giftConsumerHooks?: GiftConsumerHooks;
  /** Crash-window tests: hooks into the gift send path. */
  giftSendHooks?: GiftSendHooks;
  /** Kafka consumer timings (tests shorten them: the mock broker waits a session timeout on joins). */
  kafkaConsumer?: Partial<KafkaConsumerTuning>;
  /** Use this hot store instead of opening one (it is then not closed here). */
  hot?: Hot;
  /** Run the outbox relay in start() (default true; tests switch it off to leave events in the outbox). */
  outboxRelay?: boolean;
  /** Run the sandbox provider's notification sender in start() (default true). */
  sandboxWorker?: boolean;
  /** Run the shop's sweeper, reconciler and stock sync in start() (default true; tests drive their rounds by hand). */
  shopWorkers?: boolean;
  shopHooks?: ShopHooks;
  /** Run the gift re-drive sweeper in start() (default true; crash tests switch it off in the process that "dies"). */
  giftRedrive?: boolean;
}

export async function createDeps(config: Config, options: DepsOptions = {}) {
  const log = createLogger({ profile: config.profile, pid: process.pid }, config.logLevel);
  routeProcessWarnings(log);
  const metrics: Metrics = createMetrics();
  // Each step that reaches a store names the setting to fix when it fails.
  // Every store is reached before migrations run, so a deployment whose
  // broker is down is not half-migrated by a server that cannot start.
  const storeSetting = config.profile === "cluster" ? "OVATION_MYSQL_URL" : "OVATION_SQLITE_PATH";
  // The host and database only: a URL may carry a password.
  const storeTarget = config.profile === "cluster" ? `MySQL at ${new URL(config.mysqlUrl!).host}${new URL(config.mysqlUrl!).pathname}` : config.sqlitePath;
  const store: Store = await blaming(storeSetting, storeTarget, () =>
    config.profile === "cluster" ? openMysqlStore(config.mysqlUrl!) : openSqliteStore(config.sqlitePath),
  );
  await blaming(storeSetting, storeTarget, () => store.ping());
  const ownsHot = !options.hot;
  const hot: Hot =
    options.hot ?? (await blaming(config.redisCluster ? "OVATION_REDIS_CLUSTER" : "OVATION_REDIS_URL", "", () => createHot(config, log)));
  const eventsSetting = config.profile === "cluster" ? "OVATION_KAFKA_BROKERS" : "OVATION_SQLITE_PATH";
  const eventsTarget = config.profile === "cluster" ? `Kafka at ${config.kafkaBrokers!.join(",")}` : config.sqlitePath;
  const events: EventLog = await blaming(eventsSetting, eventsTarget, () =>
    createEventLog(config, store, log, options.kafkaConsumer),
  );
  if (!options.skipMigrations) await blaming(storeSetting, storeTarget, () => migrate(store));
  const cacheBus: CacheBus = createCacheBus(hot.bus, log);
  const push: Push = createPush(hot.bus);
  // Where this deployment is reached (pay pages, sandbox notifications);
  // startServer resolves it when the configured port is 0.
  const publicUrl = createPublicUrl(config.publicUrl);
  const outbox = createOutboxRelay({ store, events, logger: log });

  // ---- domains ----
  const wallet = createWalletDomain({ store, hot, logger: log });
  const shop = createShopDomain({
    config,
    store,
    hot,
    cacheBus,
    push,
    wallet: wallet.service,
    outbox,
    // Rooms are built next (they ask the shop whether an anchor sells anything).
    rooms: { getCached: (roomId) => rooms.service.getCached(roomId) },
    metrics,
    logger: log,
    hooks: options.shopHooks,
  });
  const rooms = createRoomsDomain({ store, cacheBus, shop });
  const gifts = createGiftsDomain({
    store,
    events,
    cacheBus,
    push,
    metrics,
    logger: log,
    wallet: wallet.service,
    rooms: rooms.service,
    lock: { acquire: (name, ttlMs) => hot.guards.acquireLock(name, ttlMs), release: (name, token) => hot.guards.releaseLock(name, token) },
    redriveAfterMs: config.sendRedriveSec * 1000,
    consumerLag,
    consumerHooks: options.giftConsumerHooks,
    sendHooks: options.giftSendHooks,
  });
  const bank = createBankDomain({ config, store, cacheBus, wallet: wallet.service, outbox, publicUrl, metrics, logger: log });
  const domains: DomainParts[] = [wallet, rooms, gifts, bank, shop];

  /** Background workers this process runs: the relay and the domains', minus those the options switch off. */
  const switchedOff = new Set<Worker>([
    ...(options.outboxRelay === false ? [outbox] : []),
    ...(options.sandboxWorker === false ? bank.provider.workers : []),
    ...(options.shopWorkers === false ? shop.workers! : []),
    ...(options.giftRedrive === false ? [gifts.redrive] : []),
  ]);
  const workers = [outbox, ...domains.flatMap((d) => d.workers ?? [])].filter((w) => !switchedOff.has(w));
  const consumers: { topic: string; consumer: LogConsumer }[] = [];
  const consumerStates = new Map<string, ConsumerState>();
  const joining: Promise<void>[] = [];
  let started = false;
  let closed = false;

  /** Messages of `topic` waiting for this process's running consumers; null when none runs. */
  function consumerLag(topic: string): number | null {
    const running = consumers.filter((c) => c.topic === topic);
    return running.length === 0 ? null : running.reduce((sum, c) => sum + c.consumer.lag(), 0);
  }

  /** Joins one consumer's group, retrying with back-off until it runs or the process closes. */
  async function join(spec: ConsumeOptions): Promise<void> {
    const name = `${spec.topic}/${spec.group}`;
    consumerStates.set(name, "joining");
    for (let attempt = 0; !closed; attempt++) {
      try {
        const consumer = await events.consume(spec);
        consumers.push({ topic: spec.topic, consumer });
        metrics.consumerLag.track({ topic: spec.topic, group: spec.group }, () => consumer.lag());
        consumerStates.set(name, "running");
        return;
      } catch (err) {
        if (closed) return;
        log.error("consumer could not join its group; retrying", { consumer: name, err, attempt });
        await Bun.sleep(backoffDelay(DEFAULT_RETRY_BACKOFF, attempt));
      }
    }
  }

  const deps = {
    config,
    log,
    metrics,
    store,
    hot,
    events,
    cacheBus,
    push,
    wallet: wallet.service,
    rooms: rooms.service,
    shop,
    gifts,
    publicUrl,
    outbox,
    bank,
    domains,

    /**
     * Starts what runs beside requests: cache invalidation, the workers, and
     * (unless told not to) the consumers. Consumers join their groups in the
     * BACKGROUND — a group join can take a session timeout after a kill -9 —
     * so the port opens at once; consumerStates() (and /readyz) say when each runs.
     */
    async start(opts: { consumers?: boolean } = {}): Promise<void> {
      if (started) return;
      started = true;
      await cacheBus.start();
      for (const w of workers) w.start();
      if (opts.consumers === false) return;
      for (const spec of domains.flatMap((d) => d.consumers ?? [])) joining.push(join(spec));
    },

    /** Each consumer of this process by `topic/group`: joining its group, or running. */
    consumerStates(): Record<string, ConsumerState> {
      return Object.fromEntries(consumerStates);
    },

    /** Resolves once every consumer started by start() runs (tests that need the group joined). */
    async consumersRunning(): Promise<void> {
      await Promise.all(joining);
    },

    /** Stops the workers and drains the consumers (each finishing what is in flight), lets the domains finish what they queued (group commits), then closes every connection. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const w of [...workers].reverse()) await w.stop();
      // A join in flight finishes (or gives up) first, then its consumer is stopped.
      await Promise.all(joining);
      for (const c of consumers.splice(0)) await c.consumer.stop();
      for (const d of domains) await d.close?.();
      await cacheBus.stop();
      await events.close();
      if (ownsHot) await hot.close();
      await store.close();
    },
  };
  return deps;
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;
