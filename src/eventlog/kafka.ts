// Cluster event log over kafkajs (Kafka, Redpanda, librdkafka's mock cluster).
//
// Names: every topic and group is `${namespace}.${logicalName}`, so tests and
// deployments can share one broker.
//
// Publishing: records are keyed (the Java-compatible murmur2 partitioner, so
// same key → same partition → publish order). Concurrent publish() calls are
// group-committed (group-commit.ts): the records of every caller waiting in
// one short tick go out in ONE producer.sendBatch with acks=all, and each
// caller resolves when that send is acknowledged. The producer is idempotent
// when the cluster names a controller broker (kafkajs asks the controller for
// a producer id); librdkafka's mock names none, so there it falls back to
// plain acks=all. Bounded: kafkajs retries a send at most twice, quickly, and
// every caller settles within `publishTimeoutMs` (default 1.5 s) of its call
// — a broker outage is a prompt failure, never a hang. A send that failed
// after the broker wrote it (a lost acknowledgement, a timeout) may still be
// in the log, and a retried send may duplicate: idempotent consumers absorb
// both, and the gift consumer skips a send its sender cancelled.
//
// Where librdkafka's mock cluster differs from a real broker: it names no
// controller, so the producer here is NOT idempotent (a retried send may
// duplicate; on a real cluster kafkajs' sequence numbers drop the
// duplicate); it auto-creates topics on a metadata request; it answers a
// fetch with one producer batch per partition (a real broker with up to
// maxBytesPerPartition), which the consumer's holding makes up for; it accepts
// acks=all with one in-sync replica (a real cluster with
// min.insync.replicas=2 acknowledges only once a follower has the batch);
// and it does not compress or size-limit batches as a real broker's
// message.max.bytes would — keep `maxRecords` × record size under it.
//
// Consuming: `eachBatch` without auto-resolve or auto-commit. A fetched batch
// (one partition) smaller than maxBatch while more wait is held and joined
// with the next fetch, briefly unless the backlog fills a batch
// (handleFetchedBatch says why that keeps at-least-once); what is at hand is
// cut into slices of at most maxBatch; each slice is handled, then resolved
// and its commit (offset + 1) sent while the next is handled and fetched
// (commitInBackground says why that keeps at-least-once). A throwing slice is
// retried in place after a back-off, heartbeating while it waits; if the
// consumer stops or the partition is taken away meanwhile, the slice stays
// uncommitted and whoever owns the partition next starts at it. Within one
// partition `handle` is never called concurrently; batches of up to
// `concurrentPartitions` different partitions are (kafkajs'
// partitionsConsumedConcurrently).
//
// Fetch wait: a fetch waits at most maxWaitTimeInMs (OVATION_KAFKA_FETCH_WAIT_MS,
// default 5 ms). A real broker answers as soon as data arrives, so there it
// bounds an idle poll; librdkafka's mock holds a fetch that finds nothing
// for the whole wait, so there the wait is added to a gift effect's latency
// at low rates (with 1 s the cluster effect p50 was ≈ 640 ms at 200 sends/s).
// On both, a broker answers one request of a connection at a time: an offset
// commit to the group coordinator can wait behind a fetch held there (commit
// p90 23–25 ms at 20 ms, 14–15 ms at 5), and kafkajs fetches a broker's
// partitions again only once eachBatch returned — so the commit is sent in
// the background (commitInBackground), not awaited there. With it awaited,
// 20 ms put p99 65–135 ms on admission → push at 200 sends/s and 5 ms 44–138
// ms; sent in the background, 22–77 ms at 5 ms. An idle process polls more
// for a shorter wait (11 → 17–21 % of a core on the mock; docs/benchmarks.md).
//
// A new group starts from the earliest message: events published before the
// first consumer joined still have to reach the truth.
//
// Reading order: createKafkaEventLog, then producer setup (connect,
// ensureTopic), publishing, the consumer (consume, startMember, its crash
// restart and lag seeding), batch handling (handleFetchedBatch, keptAlive,
// pauseHeartbeating), the commit (commitInBackground), lag, and closing.
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from "kafkajs";
import type { Db } from "../store/store.ts";
import { backoffDelay, DEFAULT_RETRY_BACKOFF, type RetryBackoff } from "../lib/backoff.ts";
import { StopLatch } from "../lib/stop-latch.ts";
import { withTimeout } from "../lib/timeout.ts";
import { checkConsumeOptions, handleUntilDone } from "./delivery.ts";
import { createGroupCommit, EventLogClosedError, type GroupCommit, type GroupCommitOptions, type TopicRecords } from "./group-commit.ts";
import type { ConsumeOptions, EventLog, LogConsumer, LogMessage, LogRecord } from "./port.ts";
import { routeProcessWarnings, type Logger } from "../lib/logger.ts";

export interface KafkaConsumerTuning {
  /** ms without heartbeats before the broker evicts a member. */
  sessionTimeout: number;
  /** ms members get to rejoin during a rebalance. */
  rebalanceTimeout: number;
  /** ms between heartbeats; about a third of sessionTimeout. */
  heartbeatInterval: number;
  /** Longest a fetch waits at the broker for data. */
  maxWaitTimeInMs: number;
}

export interface KafkaEventLogOptions {
  brokers: string[];
  clientId: string;
  namespace: string;
  /** Where kafkajs' own log lines go. */
  log: Logger;
  /** Partitions for topics this adapter creates (auto-created topics get the broker's default). */
  partitions?: number;
  consumer?: Partial<KafkaConsumerTuning>;
  retryBackoff?: RetryBackoff;
  /** How long `ping` waits for the cluster to answer. */
  pingTimeoutMs?: number;
  /** Group commit of publish(): linger, records per send, and the bound on each caller (default 1.5 s). */
  publishing?: Partial<GroupCommitOptions>;
}

const DEFAULT_PUBLISHING: GroupCommitOptions = { lingerMs: 1, maxRecords: 1000, timeoutMs: 1500 };

export interface KafkaEventLog extends EventLog {
  /** Whether the producer runs idempotent (false against a cluster without a known controller). */
  readonly idempotent: boolean;
}

const DEFAULT_TUNING: KafkaConsumerTuning = {
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  // Kafka answers a fetch as soon as data arrives, so this bounds an idle one
  // (an idle consumer polls 200 times a second per broker) and how long an
  // offset commit may wait behind it. librdkafka's mock holds an empty fetch
  // this long: latency there ≈ this.
  maxWaitTimeInMs: 5,
};

/**
 * Longest a partition's fetched messages are held for the next fetch while
 * they do not fill a batch and the backlog behind them would not either:
 * holding joins the mock's per-send fetches into one batch, but at a low rate
 * it is pure latency.
 */
const HOLD_MAX_MS = 25;

/**
 * kafkajs is chatty: errors only, one JSON line each through our logger, and
 * not the per-response protocol errors (a rebalance logs several) — those are
 * also raised to the code that made the request, which retries or reports them.
 * Until the first connection succeeds its retries log at debug: a broker that
 * never answers is reported once, by the error start-up fails with.
 */
function quietLogCreator(logger: Logger, connected: () => boolean) {
  return () =>
    ({ namespace, log }: LogEntry) => {
      const { message, error } = log as { message: string; error?: unknown };
      if (namespace === "Connection" && message.startsWith("Response ")) return;
      const fields = { component: namespace, ...(error ? { detail: String(error) } : {}) };
      if (connected()) logger.error(`kafkajs: ${message}`, fields);
      else logger.debug(`kafkajs: ${message}`, fields);
    };
}

/** What the parts of one adapter instance share. */
interface KafkaAdapterState {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: Producer;
  readonly controllerKnown: boolean;
  readonly namespace: string;
  readonly partitions: number;
  readonly tuning: KafkaConsumerTuning;
  readonly backoff: RetryBackoff;
  readonly pingTimeoutMs: number;
  /** Topics made sure of, once per topic per instance. */
  readonly ensured: Map<string, Promise<void>>;
  readonly consumers: Set<LogConsumer>;
  /** publish() calls, coalesced into one producer send per tick. */
  readonly publishing: GroupCommit;
  closed: boolean;
}

/** One consume() call: its kafkajs consumer (replaced after a crash) and its lag gauge. */
interface GroupMember {
  readonly adapter: KafkaAdapterState;
  readonly options: ConsumeOptions;
  /** Full (namespaced) topic and group names. */
  readonly topic: string;
  readonly groupId: string;
  readonly stop: StopLatch;
  /** Uncommitted messages per assigned partition, as last observed. */
  readonly lagByPartition: Map<number, number>;
  /**
   * Fetched messages not yet handled, per partition: a fetch that brought
   * fewer than maxBatch while more wait is held and joined with the next
   * one, so a handled batch is not as small as one producer send.
   */
  readonly held: Map<number, { messages: KafkaMessage[]; since: number }>;
  /**
   * Per partition, the offset commit of its last handled slice while it is in
   * flight (commitInBackground): the next slice is handled meanwhile, and its
   * commit is sent once this one ended.
   */
  readonly commits: Map<number, Promise<void>>;
  /** Counts group joins: a commit answered after a later join no longer speaks for the partition's lag. */
  joins: number;
  current?: Consumer;
  restarting: Promise<void>;
  stopping?: Promise<void>;
}

export async function createKafkaEventLog(opts: KafkaEventLogOptions): Promise<KafkaEventLog> {
  const adapter = await connect(opts);
  return {
    idempotent: adapter.controllerKnown,
    publish: (topic, records) => publish(adapter, topic, records),
    publishWithin: (trx, topic, records) => publishWithin(adapter, trx, topic, records),
    consume: (options) => consume(adapter, options),
    ping: () => ping(adapter),
    close: () => close(adapter),
  };
}

// ---- producer setup ----

/** Connects the admin client and the producer (idempotent when the cluster names a controller). */
async function connect(opts: KafkaEventLogOptions): Promise<KafkaAdapterState> {
  // kafkajs is where the runtime's TimeoutNegativeWarning comes from.
  routeProcessWarnings(opts.log);
  let connected = false;
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.ERROR,
    logCreator: quietLogCreator(opts.log, () => connected),
    connectionTimeout: 3_000,
  });
  const admin: Admin = kafka.admin();
  let producer: Producer | undefined;
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const controllerKnown = cluster.controller !== null && cluster.brokers.some((b) => b.nodeId === cluster.controller);
    producer = kafka.producer({
      idempotent: controllerKnown,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Few, quick retries: the caller's bound (publishTimeoutMs) is what
      // counts, and a retry that outlives it only risks a duplicate.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 400 },
    });
    await producer.connect();
    connected = true;
    const publishing = { ...DEFAULT_PUBLISHING, ...opts.publishing };
    const adapter: KafkaAdapterState = {
      kafka,
      admin,
      producer,
      controllerKnown,
      namespace: opts.namespace,
      partitions: opts.partitions ?? 4,
      tuning: { ...DEFAULT_TUNING, ...opts.consumer },
      backoff: opts.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
      pingTimeoutMs: opts.pingTimeoutMs ?? 2_000,
      ensured: new Map(),
      consumers: new Set(),
      publishing: createGroupCommit((batch) => sendBatch(adapter, batch, publishing.timeoutMs), publishing),
      closed: false,
    };
    return adapter;
  } catch (error) {
    await producer?.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    throw error;
  }
}

const fullName = (adapter: KafkaAdapterState, name: string) => `${adapter.namespace}.${name}`;

/**
 * Makes sure a topic exists, once per topic per instance. With a known
 * controller it is created explicitly (for brokers without auto-create);
 * the mock has none, and there asking for metadata auto-creates it. If
 * creating is refused (no ACL for it), the metadata lookup still succeeds
 * for a topic operations created beforehand.
 */
function ensureTopic(adapter: KafkaAdapterState, topic: string): Promise<void> {
  let made = adapter.ensured.get(topic);
  if (!made) {
    made = createOrLookUpTopic(adapter, topic);
    made.catch(() => adapter.ensured.delete(topic));
    adapter.ensured.set(topic, made);
  }
  return made;
}

async function createOrLookUpTopic(adapter: KafkaAdapterState, topic: string): Promise<void> {
  if (adapter.controllerKnown) {
    try {
      await adapter.admin.createTopics({ topics: [{ topic, numPartitions: adapter.partitions }], waitForLeaders: true });
      return;
    } catch {
      // Fall through to the lookup, which reports a topic that truly is missing.
    }
  }
  await adapter.admin.fetchTopicMetadata({ topics: [topic] });
}

// ---- publishing ----

function publish(adapter: KafkaAdapterState, topic: string, records: LogRecord[]): Promise<void> {
  return adapter.publishing.publish(fullName(adapter, topic), records);
}

/** One group-committed write: every waiting caller's records in one acks=all send. */
async function sendBatch(adapter: KafkaAdapterState, batch: TopicRecords, timeoutMs: number | undefined): Promise<void> {
  await Promise.all([...batch.keys()].map((topic) => ensureTopic(adapter, topic)));
  await adapter.producer.sendBatch({
    acks: -1,
    // The brokers' own wait for replicas; the caller's bound is enforced above it.
    ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
    topicMessages: [...batch].map(([topic, records]) => ({
      topic,
      messages: records.map((r) => ({ key: r.key, value: r.value })),
    })),
  });
}

/** Acknowledged by the brokers before the caller commits; the transaction is not ours to touch. */
function publishWithin(adapter: KafkaAdapterState, _trx: Db, topic: string, records: LogRecord[]): Promise<void> {
  return publish(adapter, topic, records);
}

// ---- the consumer ----

async function consume(adapter: KafkaAdapterState, options: ConsumeOptions): Promise<LogConsumer> {
  checkConsumeOptions(options);
  if (adapter.closed) throw new EventLogClosedError();
  const member: GroupMember = {
    adapter,
    options,
    topic: fullName(adapter, options.topic),
    groupId: fullName(adapter, options.group),
    stop: new StopLatch(),
    lagByPartition: new Map(),
    held: new Map(),
    commits: new Map(),
    joins: 0,
    restarting: Promise.resolve(),
  };
  await ensureTopic(adapter, member.topic);
  member.current = await startMember(member);
  const handle: LogConsumer = {
    stop: () => stopMember(member, handle),
    lag: () => lagOf(member),
  };
  adapter.consumers.add(handle);
  return handle;
}

/**
 * Connects a fresh kafkajs consumer. kafkajs restarts itself after
 * retriable crashes but gives up on the rest (for one, the mock cluster
 * answers a follower's late SyncGroup with INVALID_REQUEST); a money
 * consumer must not go quiet, so those are reported and restarted here.
 */
async function startMember(member: GroupMember): Promise<Consumer> {
  const { tuning } = member.adapter;
  const consumer = member.adapter.kafka.consumer({
    groupId: member.groupId,
    sessionTimeout: tuning.sessionTimeout,
    rebalanceTimeout: tuning.rebalanceTimeout,
    heartbeatInterval: tuning.heartbeatInterval,
    maxWaitTimeInMs: tuning.maxWaitTimeInMs,
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => onGroupJoin(member, new Set(payload.memberAssignment[member.topic] ?? [])));
  consumer.on(consumer.events.CRASH, ({ payload }) => onCrash(member, consumer, payload));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [member.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: member.options.concurrentPartitions ?? 1,
      eachBatch: (payload) => handleFetchedBatch(member, payload),
    });
  } catch (error) {
    await consumer.disconnect().catch(() => {});
    throw error;
  }
  return consumer;
}

/** Partitions taken away stop counting towards lag; new ones are seeded. */
function onGroupJoin(member: GroupMember, assigned: Set<number>): void {
  // After a rebalance fetching restarts at the committed offsets: what was held is fetched again.
  member.joins++;
  member.held.clear();
  for (const p of member.lagByPartition.keys()) if (!assigned.has(p)) member.lagByPartition.delete(p);
  void seedLag(member, assigned);
}

function onCrash(member: GroupMember, crashed: Consumer, crash: { error: Error; restart: boolean }): void {
  if (crash.restart || member.stop.fired) return; // kafkajs restarts this one itself
  report(member, crash.error);
  member.restarting = restartAfterCrash(member, crashed);
}

async function restartAfterCrash(member: GroupMember, crashed: Consumer): Promise<void> {
  member.lagByPartition.clear();
  member.held.clear();
  // Commits already sent end (or fail) on the crashed consumer's connections before they close.
  await Promise.all(member.commits.values());
  await crashed.disconnect().catch(() => {});
  for (let attempt = 0; !member.stop.fired; attempt++) {
    await member.stop.wait(backoffDelay(member.adapter.backoff, attempt));
    if (member.stop.fired) return;
    try {
      member.current = await startMember(member);
      if (member.stop.fired) await member.current.disconnect();
      return;
    } catch (error) {
      report(member, error);
    }
  }
}

/** Hands a consumer-level failure (not a batch's) to onError. */
function report(member: GroupMember, error: unknown): void {
  try {
    member.options.onError?.(error, []);
  } catch {
    // Reporting must not prevent the restart.
  }
}

/** Lag of freshly assigned partitions before their first batch arrives (best effort). */
async function seedLag(member: GroupMember, assigned: Set<number>): Promise<void> {
  const { admin } = member.adapter;
  try {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(member.topic),
      admin.fetchOffsets({ groupId: member.groupId, topics: [member.topic] }),
    ]);
    const position = new Map<number, number>();
    for (const t of committed) for (const p of t.partitions) position.set(p.partition, Number(p.offset));
    for (const end of ends) {
      if (!assigned.has(end.partition) || member.lagByPartition.has(end.partition)) continue;
      const from = Math.max(position.get(end.partition) ?? -1, Number(end.low));
      member.lagByPartition.set(end.partition, Math.max(0, Number(end.high) - from));
    }
  } catch {
    // Lag is a gauge; the next batch corrects it.
  }
}

// ---- batch handling ----

/**
 * One fetched batch (one partition), joined to what the partition held, cut
 * into slices of at most maxBatch. Each slice is handled until it succeeds,
 * then its commit is sent (commitInBackground) and the next slice starts;
 * stopping or losing the partition leaves the slice uncommitted.
 *
 * Holding: when the messages at hand are fewer than maxBatch and the
 * partition has more waiting (its high watermark is past them), they are
 * held — their offsets resolved so the next fetch continues after them, but
 * not committed — and handled with the next fetch, as long as the backlog
 * fills a batch or they were held less than HOLD_MAX_MS. librdkafka's mock
 * answers a fetch with one producer batch per partition; a real broker with
 * up to maxBytesPerPartition. At-least-once is untouched: nothing is
 * committed before it is handled, a rebalance, a crash restart or a stop
 * drops what is held, which the partition's next owner fetches again from
 * the committed offset, and a throw while handling moves the position back
 * to the first message not handled, so kafkajs' retry fetches it again.
 */
async function handleFetchedBatch(member: GroupMember, payload: EachBatchPayload): Promise<void> {
  const { batch } = payload;
  const fetchedLast = batch.messages[batch.messages.length - 1];
  if (!fetchedLast) return;
  const held = member.held.get(batch.partition);
  const messages = held ? [...held.messages, ...batch.messages] : batch.messages;
  member.held.delete(batch.partition);
  const first = messages[0]!;
  const highWatermark = Number(batch.highWatermark);
  const backlog = highWatermark - Number(first.offset);
  member.lagByPartition.set(batch.partition, Math.max(0, backlog));
  const shouldStop = () => member.stop.fired || !payload.isRunning() || payload.isStale();
  const { maxBatch } = member.options;
  const moreWaiting = Number(fetchedLast.offset) + 1 < highWatermark;
  const now = Date.now();
  const since = held?.since ?? now;
  const worthHolding = backlog >= maxBatch || now - since < HOLD_MAX_MS;
  if (moreWaiting && messages.length < maxBatch && worthHolding && !shouldStop()) {
    member.held.set(batch.partition, { messages, since });
    payload.resolveOffset(fetchedLast.offset);
    return;
  }
  const options = keptAlive(member, payload);
  const pause = (ms: number) => pauseHeartbeating(member, payload, shouldStop, ms);
  let handled = 0;
  try {
    while (handled < messages.length && !shouldStop()) {
      const slice = toMessages(member, batch.partition, messages.slice(handled, handled + maxBatch));
      if (!(await handleUntilDone(slice, options, member.adapter.backoff, shouldStop, pause))) break;
      handled += slice.length;
      await commitInBackground(member, payload, slice, highWatermark);
      await payload.heartbeat();
    }
  } finally {
    // Messages not handled must be fetched again. Held ones were resolved
    // when they were held, so without this a throw here (a heartbeat's
    // coordinator error, say) would let kafkajs' retry fetch after them —
    // and the partition's next commit would pass messages never handled.
    if (handled < messages.length) payload.resolveOffset((BigInt(messages[handled]!.offset) - 1n).toString());
    // Stopping: the partition's handled slices get their commits before the
    // consumer leaves the group (stop() promises the in-flight batch its commit).
    if (shouldStop()) await member.commits.get(batch.partition);
  }
}

function toMessages(member: GroupMember, partition: number, messages: KafkaMessage[]): LogMessage[] {
  return messages.map((m) => ({
    topic: member.options.topic,
    partition,
    offset: m.offset,
    key: m.key?.toString() ?? "",
    value: m.value?.toString() ?? "",
  }));
}

/**
 * The caller's options with a handle that heartbeats while it runs, so a
 * slow database costs time, not a rebalance and a redelivery.
 */
function keptAlive(member: GroupMember, payload: EachBatchPayload): ConsumeOptions {
  const { options } = member;
  return {
    ...options,
    handle: async (slice) => {
      const timer = setInterval(() => void payload.heartbeat().catch(() => {}), member.adapter.tuning.heartbeatInterval);
      try {
        await options.handle(slice);
      } finally {
        clearInterval(timer);
      }
    },
  };
}

/**
 * The back-off between retries of a failed slice. It heartbeats so the
 * broker keeps us in the group; a rebalance surfaces here as a throw, and
 * the slice stays uncommitted.
 */
async function pauseHeartbeating(member: GroupMember, payload: EachBatchPayload, shouldStop: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!shouldStop() && Date.now() < until) {
    await member.stop.wait(Math.min(until - Date.now(), member.adapter.tuning.heartbeatInterval));
    await payload.heartbeat();
  }
}

// ---- the commit ----

/**
 * Commits a handled slice (offset of its last message + 1) without holding up
 * the partition: its position moves past the slice at once, so kafkajs
 * fetches again while the commit travels, and the next slice is handled
 * meanwhile. On librdkafka's mock (and on a broker that leads the partition
 * and coordinates the group) an offset commit queues behind a fetch held on
 * the same connection: awaited in eachBatch, that wait — up to the fetch
 * wait — sat between every batch and the next fetch, and was the tail of a
 * gift effect's latency.
 *
 * At most one commit per partition is in flight: this waits for the previous
 * one (sent while this slice was handled, so normally ended) before sending,
 * so commits land in offset order, and each is sent at once, within the
 * eachBatch that handled its slice — under that group generation: a commit
 * cannot be sent late, under a later generation, for a partition another
 * member owns by then.
 *
 * At-least-once is kept: a slice is committed only after it was handled. A
 * commit that fails (a rebalance, the coordinator moving) is reported; the
 * partition's next commit covers the slice, or whoever starts at the
 * committed offset handles it again, which the idempotent consumers absorb.
 * stop() and a crash restart wait for the commits in flight.
 */
async function commitInBackground(member: GroupMember, payload: EachBatchPayload, slice: LogMessage[], highWatermark: number): Promise<void> {
  const { batch } = payload;
  await member.commits.get(batch.partition);
  const last = slice[slice.length - 1]!.offset;
  const next = (BigInt(last) + 1n).toString();
  const joins = member.joins;
  payload.resolveOffset(last);
  const commit: Promise<void> = payload
    .commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] })
    .then(
      () => {
        if (member.joins === joins) member.lagByPartition.set(batch.partition, Math.max(0, highWatermark - Number(next)));
      },
      (error: unknown) => report(member, new Error(`offset commit of ${batch.topic}[${batch.partition}] at ${next} failed; its messages may be delivered again`, { cause: error })),
    )
    .finally(() => {
      if (member.commits.get(batch.partition) === commit) member.commits.delete(batch.partition);
    });
  member.commits.set(batch.partition, commit);
}

// ---- lag ----

function lagOf(member: GroupMember): number {
  let sum = 0;
  for (const n of member.lagByPartition.values()) sum += n;
  return sum;
}

// ---- closing ----

function stopMember(member: GroupMember, handle: LogConsumer): Promise<void> {
  member.stopping ??= (async () => {
    member.stop.fire();
    await member.restarting;
    // Commits of slices already handled land before the group is left; the
    // eachBatch in flight awaits its own (handleFetchedBatch), and
    // disconnect() waits for it, then leaves the group.
    await Promise.all(member.commits.values());
    await member.current?.disconnect();
    member.adapter.consumers.delete(handle);
  })();
  return member.stopping;
}

async function ping(adapter: KafkaAdapterState): Promise<void> {
  // A metadata round trip: proves a broker answers, not just that a socket was once open.
  await withTimeout(adapter.admin.describeCluster(), adapter.pingTimeoutMs, () => new Error(`kafka ping timed out after ${adapter.pingTimeoutMs} ms`));
}

async function close(adapter: KafkaAdapterState): Promise<void> {
  adapter.closed = true;
  await adapter.publishing.close();
  await Promise.all([...adapter.consumers].map((c) => c.stop()));
  await adapter.producer.disconnect();
  await adapter.admin.disconnect();
}
