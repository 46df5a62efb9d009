// The Kafka ack wait of publish() (group commit: linger + one sendBatch with acks=all) on
// librdkafka's mock cluster: one caller at a time, then 64 concurrent callers.
//   bun run scripts/load/kafka-ack.ts
import { startMockKafka } from "../../test/mock-kafka.ts";
import { createKafkaEventLog } from "../../src/eventlog/kafka.ts";
import { createLogger } from "../../src/lib/logger.ts";
const mock = (await startMockKafka(3))!;
const log = await createKafkaEventLog({ brokers: mock.bootstrap, clientId: "probe", namespace: `probe${Date.now()}`, log: createLogger({}, "error") });
const rec = (i: number) => [{ key: String(i % 64), value: JSON.stringify({ i, pad: "x".repeat(200) }) }];
await log.publish("send_gift", rec(0));
const pct = (a: number[], q: number) => a.sort((x, y) => x - y)[Math.floor(q * (a.length - 1))]!.toFixed(2);
const single: number[] = [];
for (let i = 0; i < 300; i++) { const t = performance.now(); await log.publish("send_gift", rec(i)); single.push(performance.now() - t); }
console.log(`one caller at a time: p50 ${pct(single, 0.5)} ms, p99 ${pct(single, 0.99)} ms per publish`);
for (const conc of [64]) {
  const lat: number[] = []; const t0 = performance.now(); let n = 0;
  await Promise.all(Array.from({ length: conc }, async (_, c) => { for (let k = 0; k < 60; k++) { const t = performance.now(); await log.publish("send_gift", rec(c)); lat.push(performance.now() - t); n++; } }));
  const s = (performance.now() - t0) / 1000;
  console.log(`${conc} callers in a loop: ${(n / s).toFixed(0)} publishes/s, p50 ${pct(lat, 0.5)} ms, p99 ${pct(lat, 0.99)} ms`);
}
await log.close(); mock.kill(); process.exit(0);
