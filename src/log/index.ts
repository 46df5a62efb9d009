// Picks the event log for the profile: kafkajs in the cluster profile, the
// table in the SQLite file in the embedded one. The union return type lets a
// caller narrow on `kind` to reach the embedded-only appendInTransaction.
import type { Config } from "../config.ts";
import type { Store } from "../store/store.ts";
import { createKafkaEventLog, type KafkaConsumerTuning, type KafkaEventLog } from "./kafka.ts";
import { createSqliteEventLog, type SqliteEventLog } from "./sqlite.ts";

export type { ConsumeOptions, EventLog, LogConsumer, LogMessage, LogRecord } from "./port.ts";
export type { KafkaEventLog } from "./kafka.ts";
export type { SqliteEventLog } from "./sqlite.ts";
export { TOPICS, type TopicName } from "./topics.ts";

export type AnyEventLog = KafkaEventLog | SqliteEventLog;

export async function createEventLog(config: Config, store: Store, kafkaConsumer?: Partial<KafkaConsumerTuning>): Promise<AnyEventLog> {
  if (config.profile === "cluster") {
    if (!config.kafkaBrokers?.length) throw new Error("OVATION_KAFKA_BROKERS is required in the cluster profile");
    return createKafkaEventLog({
      brokers: config.kafkaBrokers,
      clientId: `${config.namespace}-${process.pid}`,
      namespace: config.namespace,
      consumer: kafkaConsumer,
    });
  }
  if (store.dialect !== "sqlite") throw new Error("the embedded event log needs the SQLite store");
  return createSqliteEventLog(store, { namespace: config.namespace });
}
