// Picks the event log for the profile: kafkajs in the cluster profile, the
// table in the SQLite file in the embedded one. Callers see only the port.
import type { Config } from "../config.ts";
import type { Logger } from "../lib/logger.ts";
import type { Store } from "../store/store.ts";
import { createKafkaEventLog, type KafkaConsumerTuning } from "./kafka.ts";
import type { EventLog } from "./port.ts";
import { createSqliteEventLog } from "./sqlite.ts";

export type { ConsumeOptions, EventLog, LogConsumer, LogMessage, LogRecord } from "./port.ts";
export type { KafkaConsumerTuning } from "./kafka.ts";
export { TOPICS, type TopicName } from "./topics.ts";

export async function createEventLog(config: Config, store: Store, log: Logger, kafkaConsumer?: Partial<KafkaConsumerTuning>): Promise<EventLog> {
  if (config.profile === "cluster") {
    if (!config.kafkaBrokers?.length) throw new Error("OVATION_KAFKA_BROKERS is required in the cluster profile");
    return createKafkaEventLog({
      brokers: config.kafkaBrokers,
      clientId: `${config.namespace}-${process.pid}`,
      namespace: config.namespace,
      log,
      consumer: { maxWaitTimeInMs: config.kafkaFetchWaitMs, ...kafkaConsumer },
    });
  }
  if (store.dialect !== "sqlite") throw new Error("the embedded event log needs the SQLite store");
  return createSqliteEventLog(store, { namespace: config.namespace });
}
