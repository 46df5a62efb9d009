// Cluster event log over kafkajs (Kafka, Redpanda, librdkafka's mock cluster).
//
// Names: every topic and group is `${namespace}.${logicalName}`, so tests and
// deployments can share one broker.
//
// Publishing: records are keyed (the Java-compatible murmur2 partitioner, so
// same key → same partition → publish order), a batch is one `send` with
// acks=all. The producer is idempotent when the cluster names a controller
// broker (kafkajs asks the controller for a producer id); librdkafka's mock
// names none, so there it falls back to plain acks=all. Retries are bounded
// so a publish fails rather than hangs during an outage; a retried send may
// then duplicate, which idempotent consumers absorb.
//
// Consuming: `eachBatch` without auto-resolve or auto-commit. A fetched batch
// (one partition) is cut into slices of at most maxBatch; each slice is
// handled, then committed (offset + 1) and resolved before the next starts.
// A throwing slice is retried in place after a back-off, heartbeating while
// it waits; if the consumer stops or the partition is taken away meanwhile,
// the slice stays uncommitted and whoever owns the partition next starts at
// it. `handle` is never called concurrently within one consumer.
//
// A new group starts from the earliest message: events published before the
// first consumer joined still have to reach the truth.
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type LogEntry,
  type Producer,
} from "kafkajs";
import {
  backoffDelay,
  checkConsumeOptions,
  DEFAULT_RETRY_BACKOFF,
  handleUntilDone,
  StopLatch,
  type RetryBackoff,
} from "./delivery.ts";
import type { ConsumeOptions, EventLog, LogConsumer, LogMessage, LogRecord } from "./port.ts";

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
  /** Partitions for topics this adapter creates (auto-created topics get the broker's default). */
  partitions?: number;
  consumer?: Partial<KafkaConsumerTuning>;
  retryBackoff?: RetryBackoff;
  /** How long `ping` waits for the cluster to answer. */
  pingTimeoutMs?: number;
}

export interface KafkaEventLog extends EventLog {
  /** Whether the producer runs idempotent (false against a cluster without a known controller). */
  readonly idempotent: boolean;
}

const DEFAULT_TUNING: KafkaConsumerTuning = {
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  // Kafka answers a fetch as soon as data arrives, so this only bounds an idle
  // one. librdkafka's mock holds every fetch this long: latency there ≈ this.
  maxWaitTimeInMs: 1_000,
};

/**
 * kafkajs is chatty: errors only, one line each, and not the per-response
 * protocol errors (a rebalance logs several) — those are also raised to the
 * code that made the request, which retries or reports them.
 */
function quietLogCreator(label: string) {
  return () =>
    ({ namespace, log }: LogEntry) => {
      const { message, error } = log as { message: string; error?: unknown };
      if (namespace === "Connection" && message.startsWith("Response ")) return;
      console.error(`[kafkajs ${label}${namespace ? ` ${namespace}` : ""}] ${message}${error ? `: ${String(error)}` : ""}`);
    };
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  // The loser of the race must not surface as an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function createKafkaEventLog(opts: KafkaEventLogOptions): Promise<KafkaEventLog> {
  const tuning: KafkaConsumerTuning = { ...DEFAULT_TUNING, ...opts.consumer };
  const backoff = opts.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
  const partitions = opts.partitions ?? 4;
  const pingTimeoutMs = opts.pingTimeoutMs ?? 2_000;
  const full = (name: string) => `${opts.namespace}.${name}`;

  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.ERROR,
    logCreator: quietLogCreator(opts.namespace),
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
      retry: { retries: 8 },
    });
    await producer.connect();
    return build(kafka, admin, producer, controllerKnown);
  } catch (error) {
    await producer?.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    throw error;
  }

  function build(kafka: Kafka, admin: Admin, producer: Producer, controllerKnown: boolean): KafkaEventLog {
    const ensured = new Map<string, Promise<void>>();
    const consumers = new Set<LogConsumer>();
    let closed = false;

    /**
     * Makes sure a topic exists, once per topic per instance. With a known
     * controller it is created explicitly (for brokers without auto-create);
     * the mock has none, and there asking for metadata auto-creates it. If
     * creating is refused (no ACL for it), the metadata lookup still succeeds
     * for a topic operations created beforehand.
     */
    const ensureTopic = (topic: string): Promise<void> => {
      let p = ensured.get(topic);
      if (!p) {
        p = (async () => {
          if (controllerKnown) {
            try {
              await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
              return;
            } catch {
              // Fall through to the lookup, which reports a topic that truly is missing.
            }
          }
          await admin.fetchTopicMetadata({ topics: [topic] });
        })();
        p.catch(() => ensured.delete(topic));
        ensured.set(topic, p);
      }
      return p;
    };

    async function consume(options: ConsumeOptions): Promise<LogConsumer> {
      checkConsumeOptions(options);
      if (closed) throw new Error("event log is closed");
      const topic = full(options.topic);
      const groupId = full(options.group);
      await ensureTopic(topic);

      const stop = new StopLatch();
      /** Uncommitted messages per assigned partition, as last observed. */
      const lagByPartition = new Map<number, number>();

      /** Lag of freshly assigned partitions before their first batch arrives (best effort). */
      const seedLag = async (assigned: Set<number>) => {
        try {
          const [ends, committed] = await Promise.all([
            admin.fetchTopicOffsets(topic),
            admin.fetchOffsets({ groupId, topics: [topic] }),
          ]);
          const position = new Map<number, number>();
          for (const t of committed) for (const p of t.partitions) position.set(p.partition, Number(p.offset));
          for (const end of ends) {
            if (!assigned.has(end.partition) || lagByPartition.has(end.partition)) continue;
            const from = Math.max(position.get(end.partition) ?? -1, Number(end.low));
            lagByPartition.set(end.partition, Math.max(0, Number(end.high) - from));
          }
        } catch {
          // Lag is a gauge; the next batch corrects it.
        }
      };

      const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
        const { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale } = payload;
        const first = batch.messages[0];
        if (!first) return;
        const highWatermark = Number(batch.highWatermark);
        lagByPartition.set(batch.partition, Math.max(0, highWatermark - Number(first.offset)));
        const shouldStop = () => stop.fired || !isRunning() || isStale();
        const pause = async (ms: number) => {
          // Heartbeat through the back-off so the broker keeps us in the group;
          // a rebalance surfaces here as a throw, and the slice stays uncommitted.
          const until = Date.now() + ms;
          while (!shouldStop() && Date.now() < until) {
            await stop.wait(Math.min(until - Date.now(), tuning.heartbeatInterval));
            await heartbeat();
          }
        };

        // Keep the membership alive while a slow handle runs, so a slow database
        // costs time, not a rebalance and a redelivery.
        const keptAlive: ConsumeOptions = {
          ...options,
          handle: async (slice) => {
            const timer = setInterval(() => void heartbeat().catch(() => {}), tuning.heartbeatInterval);
            try {
              await options.handle(slice);
            } finally {
              clearInterval(timer);
            }
          },
        };

        for (let i = 0; i < batch.messages.length; i += options.maxBatch) {
          if (shouldStop()) return;
          const slice: LogMessage[] = batch.messages.slice(i, i + options.maxBatch).map((m) => ({
            topic: options.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key?.toString() ?? "",
            value: m.value?.toString() ?? "",
          }));
          if (!(await handleUntilDone(slice, keptAlive, backoff, shouldStop, pause))) return;
          const last = slice[slice.length - 1]!.offset;
          const next = (BigInt(last) + 1n).toString();
          // The payload's commit, unlike consumer.commitOffsets, still commits
          // after stop() began — stop promises the in-flight batch its commit.
          // Resolving only after it succeeds keeps the fetch position from
          // running ahead of a commit that failed: the slice is fetched again.
          await commitOffsetsIfNecessary({
            topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
          });
          resolveOffset(last);
          lagByPartition.set(batch.partition, Math.max(0, highWatermark - Number(next)));
          await heartbeat();
        }
      };

      let current: Consumer | undefined;
      let restarting: Promise<void> = Promise.resolve();

      /**
       * Connects a fresh kafkajs consumer. kafkajs restarts itself after
       * retriable crashes but gives up on the rest (for one, the mock cluster
       * answers a follower's late SyncGroup with INVALID_REQUEST); a money
       * consumer must not go quiet, so those are reported and restarted here.
       */
      const start = async (): Promise<Consumer> => {
        const consumer = kafka.consumer({
          groupId,
          sessionTimeout: tuning.sessionTimeout,
          rebalanceTimeout: tuning.rebalanceTimeout,
          heartbeatInterval: tuning.heartbeatInterval,
          maxWaitTimeInMs: tuning.maxWaitTimeInMs,
        });
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          const assigned = new Set(payload.memberAssignment[topic] ?? []);
          for (const p of lagByPartition.keys()) if (!assigned.has(p)) lagByPartition.delete(p);
          void seedLag(assigned);
        });
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (payload.restart || stop.fired) return;
          try {
            options.onError?.(payload.error, []);
          } catch {
            // Reporting must not prevent the restart.
          }
          restarting = restartAfterCrash(consumer);
        });
        try {
          await consumer.connect();
          await consumer.subscribe({ topics: [topic], fromBeginning: true });
          await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
        } catch (error) {
          await consumer.disconnect().catch(() => {});
          throw error;
        }
        return consumer;
      };

      const restartAfterCrash = async (crashed: Consumer): Promise<void> => {
        lagByPartition.clear();
        await crashed.disconnect().catch(() => {});
        for (let attempt = 0; !stop.fired; attempt++) {
          await stop.wait(backoffDelay(backoff, attempt));
          if (stop.fired) return;
          try {
            current = await start();
            if (stop.fired) await current.disconnect();
            return;
          } catch (error) {
            try {
              options.onError?.(error, []);
            } catch {
              // As above.
            }
          }
        }
      };

      current = await start();

      let stopping: Promise<void> | undefined;
      const handle: LogConsumer = {
        stop: () => {
          stopping ??= (async () => {
            stop.fire();
            await restarting;
            // disconnect() waits for the eachBatch in flight, then leaves the group.
            await current?.disconnect();
            consumers.delete(handle);
          })();
          return stopping;
        },
        lag: () => {
          let sum = 0;
          for (const n of lagByPartition.values()) sum += n;
          return sum;
        },
      };
      consumers.add(handle);
      return handle;
    }

    async function publish(topic: string, records: LogRecord[]): Promise<void> {
      if (records.length === 0) return;
      const name = full(topic);
      await ensureTopic(name);
      await producer.send({
        topic: name,
        acks: -1,
        messages: records.map((r) => ({ key: r.key, value: r.value })),
      });
    }

    return {
      idempotent: controllerKnown,
      publish,
      // Acknowledged before the caller commits; the transaction is not ours to touch.
      publishWithin: (_trx, topic, records) => publish(topic, records),
      consume,
      async ping() {
        // A metadata round trip: proves a broker answers, not just that a socket was once open.
        await withTimeout(admin.describeCluster(), pingTimeoutMs, "kafka ping");
      },
      async close() {
        closed = true;
        await Promise.all([...consumers].map((c) => c.stop()));
        await producer.disconnect();
        await admin.disconnect();
      },
    };
  }
}
