// The event log contract (port.ts), run against both adapters: the table in
// SQLite always, kafkajs against the run's Kafka-protocol broker (librdkafka's
// mock cluster from test/setup.ts, or OVATION_TEST_KAFKA_BROKERS) when there
// is one. Each test gets its own namespace, so topics and groups never meet.
import { afterEach, describe, expect, test } from "bun:test";
import { services, uniqueName } from "../../test/services.ts";
import { migrate } from "../store/migrator.ts";
import { openSqliteStore, type Store } from "../store/store.ts";
import { createKafkaEventLog } from "./kafka.ts";
import { createLogger } from "../lib/logger.ts";
import { startMockKafka } from "../../test/mock-kafka.ts";
import { EventLogClosedError } from "./group-commit.ts";
import type { ConsumeOptions, EventLog, LogConsumer, LogMessage, LogRecord } from "./port.ts";
import { createSqliteEventLog } from "./sqlite.ts";

interface Adapter {
  name: "sqlite" | "kafka";
  /** Why the adapter cannot run here, if it cannot. */
  skip?: string;
  /**
   * publishWithin's crash guarantee (port.ts): true when records survive a
   * rollback of the caller's transaction (published and acknowledged before
   * the commit: at least once), false when they live and die with it.
   */
  publishedDespiteRollback: boolean;
  /**
   * Whether records of a write reported failed may still be in the log: a
   * Kafka send spans several brokers (one request per partition leader), and
   * one request failing fails the send while the others stored theirs.
   */
  failedWriteMayLand: boolean;
  /** A record this adapter cannot write, on a topic of its own: the write carrying it fails. */
  poison: { topic: string; record: LogRecord };
  /** Opens the adapter; the SQLite one on `store` (the file whose transactions it joins). */
  open(store?: Store): Promise<EventLog>;
}

/** Cleanups for what a test opened, run newest first after each test. */
const cleanups: (() => Promise<void>)[] = [];

async function freshStore(): Promise<Store> {
  const store = openSqliteStore(":memory:");
  await migrate(store);
  cleanups.push(() => store.close());
  return store;
}

function sqliteLog(store: Store, namespace = uniqueName("log")): EventLog {
  const events = createSqliteEventLog(store, { namespace, retryBackoff: { initialMs: 50, maxMs: 200 } });
  cleanups.push(() => events.close());
  return events;
}

const brokers = services().kafkaBrokers;
const adapters: Adapter[] = [
  {
    name: "sqlite",
    publishedDespiteRollback: false,
    failedWriteMayLand: false,
    // payload is NOT NULL: the insert fails, and with it the transaction.
    poison: { topic: "gifts", record: { key: "p", value: null as unknown as string } },
    open: async (store) => sqliteLog(store ?? (await freshStore())) },
  {
    name: "kafka",
    skip: brokers?.length ? undefined : "no Kafka-protocol broker (install kcat or set OVATION_TEST_KAFKA_BROKERS)",
    publishedDespiteRollback: true,
    failedWriteMayLand: true,
    // Not bytes: kafkajs cannot encode the request, so the send never leaves.
    poison: { topic: "gifts", record: { key: "p", value: { not: "bytes" } as unknown as string } },
    async open() {
      const events = await createKafkaEventLog({
        brokers: brokers!,
        clientId: "ovation-log-test",
        log: createLogger({ test: "log-contract" }, "silent"),
        namespace: uniqueName("log"),
        // The mock cluster holds a group's first join for 3 s and a later one
        // for sessionTimeout − 1 s; short timeouts keep the suite quick.
        consumer: { sessionTimeout: 3000, rebalanceTimeout: 3000, heartbeatInterval: 300, maxWaitTimeInMs: 100 },
        retryBackoff: { initialMs: 50, maxMs: 200 },
      });
      cleanups.push(() => events.close());
      return events;
    },
  },
];
for (const a of adapters) if (a.skip) console.warn(`log contract: skipping ${a.name}: ${a.skip}`);

/** Generous: the mock cluster takes seconds per group join, and the machine is shared. */
const TIMEOUT_MS = 30_000;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

function records(prefix: string, count: number, keys: number): LogRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: `k${i % keys}`, value: `${prefix}${i}` }));
}

/** A consumer that records every batch it is handed. */
async function recordingConsumer(
  events: EventLog,
  options: Omit<ConsumeOptions, "handle"> & { handle?: (batch: LogMessage[], n: number) => Promise<void> },
): Promise<{ consumer: LogConsumer; batches: LogMessage[][]; values: () => string[] }> {
  const batches: LogMessage[][] = [];
  const consumer = await events.consume({
    ...options,
    handle: async (batch) => {
      batches.push(batch);
      await options.handle?.(batch, batches.length);
    },
  });
  return { consumer, batches, values: () => batches.flat().map((m) => m.value) };
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

describe.each(adapters)("event log contract: $name", (adapter) => {
  const it = test.skipIf(adapter.skip !== undefined);

  it("delivers everything once, keeps per-key order, and never exceeds maxBatch", async () => {
    const events = await adapter.open();
    await events.ping();
    const early = records("e", 60, 7);
    await events.publish("gifts", early.slice(0, 30));
    await events.publish("gifts", early.slice(30));
    const r = await recordingConsumer(events, { topic: "gifts", group: "g", maxBatch: 7 });
    // Some published after the consumer is running, in several calls.
    const late = records("l", 45, 7);
    for (let i = 0; i < late.length; i += 15) await events.publish("gifts", late.slice(i, i + 15));
    const all = [...early, ...late];
    await waitFor("all messages", () => r.values().length >= all.length);
    await Bun.sleep(300); // a redelivery would show up here
    await r.consumer.stop();

    const counts = countBy(r.values());
    expect(counts.size).toBe(all.length);
    for (const rec of all) expect(counts.get(rec.value)).toBe(1);
    for (const b of r.batches) {
      expect(b.length).toBeGreaterThan(0);
      expect(b.length).toBeLessThanOrEqual(7);
    }
    const byKey = new Map<string, string[]>();
    for (const m of r.batches.flat()) {
      expect(m.topic).toBe("gifts");
      expect(m.offset).toMatch(/^\d+$/);
      byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.value]);
    }
    for (const [key, got] of byKey) {
      expect(got).toEqual(all.filter((x) => x.key === key).map((x) => x.value));
    }
    expect(r.consumer.lag()).toBe(0);
  }, TIMEOUT_MS);

  it("hands a throwing batch over again, unchanged, and skips nothing", async () => {
    const events = await adapter.open();
    await events.publish("gifts", records("m", 20, 1));
    const done = new Set<string>(); // the handler's idempotent, durable work
    const errors: { error: unknown; batch: LogMessage[] }[] = [];
    let thrown = false;
    const r = await recordingConsumer(events, {
      topic: "gifts",
      group: "g",
      maxBatch: 5,
      onError: (error, batch) => errors.push({ error, batch }),
      handle: async (batch) => {
        for (const m of batch) done.add(m.value);
        if (!thrown && batch.some((m) => m.value === "m7")) {
          thrown = true;
          throw new Error("database went away");
        }
      },
    });
    await waitFor("all messages", () => done.size === 20 && r.values().length >= 25);
    await Bun.sleep(300);
    await r.consumer.stop();

    expect(errors.length).toBe(1);
    expect((errors[0]!.error as Error).message).toBe("database went away");
    const failed = errors[0]!.batch.map((m) => m.offset);
    const at = r.batches.findIndex((b) => b === errors[0]!.batch);
    expect(r.batches[at + 1]!.map((m) => m.offset)).toEqual(failed);
    const counts = countBy(r.values());
    for (let i = 0; i < 20; i++) {
      const failedHere = errors[0]!.batch.some((m) => m.value === `m${i}`);
      expect(counts.get(`m${i}`)).toBe(failedHere ? 2 : 1);
    }
    // Order survives the retry: first deliveries come in publish order.
    expect([...new Set(r.values())]).toEqual(records("m", 20, 1).map((x) => x.value));
  }, TIMEOUT_MS);

  it("a stopped consumer commits its in-flight batch; the group's next consumer resumes after it", async () => {
    const events = await adapter.open();
    await events.publish("gifts", records("m", 30, 1));
    let stopping: Promise<void> | undefined;
    let first: { consumer: LogConsumer } | undefined;
    const a = await recordingConsumer(events, {
      topic: "gifts",
      group: "g",
      maxBatch: 5,
      handle: async (_batch, n) => {
        if (n === 3) {
          stopping = first!.consumer.stop();
          await Bun.sleep(200); // still working when stop() is called
        }
      },
    });
    first = a;
    await waitFor("stop during the third batch", () => stopping !== undefined);
    await stopping;
    expect(a.batches.length).toBe(3);

    const b = await recordingConsumer(events, { topic: "gifts", group: "g", maxBatch: 5 });
    await waitFor("the rest", () => b.values().length >= 15);
    await Bun.sleep(300);
    await b.consumer.stop();
    expect(b.values()[0]).toBe("m15");
    expect([...a.values(), ...b.values()]).toEqual(records("m", 30, 1).map((x) => x.value));
  }, TIMEOUT_MS);

  it("a batch that failed while stopping is redelivered to the group's next consumer, and only it", async () => {
    const events = await adapter.open();
    await events.publish("gifts", records("m", 30, 1));
    let stopping: Promise<void> | undefined;
    let first: { consumer: LogConsumer } | undefined;
    const a = await recordingConsumer(events, {
      topic: "gifts",
      group: "g",
      maxBatch: 5,
      handle: async (_batch, n) => {
        if (n === 3) {
          // The work is done (recorded) but the process "dies" before the commit.
          stopping = first!.consumer.stop();
          throw new Error("crash before commit");
        }
      },
    });
    first = a;
    await waitFor("stop during the third batch", () => stopping !== undefined);
    await stopping;
    expect(a.batches.length).toBe(3);

    const b = await recordingConsumer(events, { topic: "gifts", group: "g", maxBatch: 5 });
    await waitFor("the rest", () => b.values().length >= 20);
    await Bun.sleep(300);
    await b.consumer.stop();
    expect(b.batches[0]!.map((m) => m.value)).toEqual(a.batches[2]!.map((m) => m.value));
    const seen = countBy([...a.values(), ...b.values()]);
    expect(seen.size).toBe(30);
    for (const [value, n] of seen) expect(n).toBe(["m10", "m11", "m12", "m13", "m14"].includes(value) ? 2 : 1);
  }, TIMEOUT_MS);

  it("every group gets everything", async () => {
    const events = await adapter.open();
    const all = records("m", 40, 5);
    await events.publish("gifts", all);
    const [g1, g2] = await Promise.all([
      recordingConsumer(events, { topic: "gifts", group: "ledger", maxBatch: 16 }),
      recordingConsumer(events, { topic: "gifts", group: "push", maxBatch: 3 }),
    ]);
    await waitFor("both groups", () => g1.values().length >= 40 && g2.values().length >= 40);
    await Bun.sleep(300);
    await Promise.all([g1.consumer.stop(), g2.consumer.stop()]);
    const expected = all.map((x) => x.value).sort();
    expect(g1.values().sort()).toEqual(expected);
    expect(g2.values().sort()).toEqual(expected);
  }, TIMEOUT_MS);

  it("reports lag: the backlog while a batch is in flight, zero once caught up", async () => {
    const events = await adapter.open();
    await events.publish("gifts", records("m", 30, 1));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let lagInFlight = -1;
    const r = await recordingConsumer(events, {
      topic: "gifts",
      group: "g",
      maxBatch: 10,
      handle: async (_batch, n) => {
        if (n === 1) await gate;
      },
    });
    await waitFor("the first batch", () => r.batches.length === 1);
    lagInFlight = r.consumer.lag();
    release();
    await waitFor("all messages", () => r.values().length >= 30);
    await waitFor("lag to drain", () => r.consumer.lag() === 0, 5_000);
    await r.consumer.stop();
    // All 30 are uncommitted while the first batch is being handled.
    expect(lagInFlight).toBe(30);
    expect(r.consumer.lag()).toBe(0);
  }, TIMEOUT_MS);

  it("publishWithin: published once the caller commits; a rollback keeps them only where the port says so", async () => {
    const store = await freshStore();
    const events = await adapter.open(store);
    const r = await recordingConsumer(events, { topic: "paid", group: "g", maxBatch: 10 });
    await store.db
      .transaction()
      .execute(async (trx) => {
        await events.publishWithin(trx, "paid", [{ key: "o1", value: "rolled back" }]);
        throw new Error("business write failed");
      })
      .catch(() => {});
    await store.db.transaction().execute((trx) => events.publishWithin(trx, "paid", [{ key: "o1", value: "committed" }]));
    // One key, so one partition: publish order is delivery order on both adapters.
    await waitFor("the committed event", () => r.values().includes("committed"));
    await Bun.sleep(250); // longer than the poll interval: nothing else turns up
    await r.consumer.stop();
    expect(r.values()).toEqual(adapter.publishedDespiteRollback ? ["rolled back", "committed"] : ["committed"]);
  }, TIMEOUT_MS);

  it("concurrent publishes are written together, each resolved once durable, per-key order kept", async () => {
    const events = await adapter.open();
    const r = await recordingConsumer(events, { topic: "gifts", group: "g", maxBatch: 50 });
    // 120 callers in the same tick, one record each, as concurrent sends publish.
    const all = records("c", 120, 6);
    const resolved: string[] = [];
    await Promise.all(all.map((rec) => events.publish("gifts", [rec]).then(() => resolved.push(rec.value))));
    expect(resolved.sort()).toEqual(all.map((x) => x.value).sort());
    await waitFor("all messages", () => r.values().length >= all.length);
    await r.consumer.stop();
    const byKey = new Map<string, string[]>();
    for (const m of r.batches.flat()) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.value]);
    for (const [key, got] of byKey) expect(got).toEqual(all.filter((x) => x.key === key).map((x) => x.value));
    expect(countBy(r.values()).size).toBe(all.length);
  }, TIMEOUT_MS);

  it("a backlog written by many small sends is handed over in full batches, in order", async () => {
    const events = await adapter.open();
    const all = records("s", 100, 1);
    // One write each: on Kafka, 100 producer sends (the mock answers a fetch with one of them).
    for (const rec of all) await events.publish("gifts", [rec]);
    const r = await recordingConsumer(events, { topic: "gifts", group: "g", maxBatch: 50 });
    await waitFor("all messages", () => r.values().length >= all.length);
    await r.consumer.stop();
    expect(r.batches.map((b) => b.length)).toEqual([50, 50]);
    expect(r.values()).toEqual(all.map((x) => x.value));
  }, TIMEOUT_MS);

  it("a failed write rejects every caller in it, and the next write goes through", async () => {
    const events = await adapter.open();
    const r = await recordingConsumer(events, { topic: "gifts", group: "g", maxBatch: 50 });
    const innocent = records("i", 5, 2);
    const outcomes = await Promise.allSettled([
      ...innocent.map((rec) => events.publish("gifts", [rec])),
      events.publish(adapter.poison.topic, [adapter.poison.record]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(Array(6).fill("rejected"));
    await events.publish("gifts", [{ key: "k", value: "after" }]);
    await waitFor("the later record", () => r.values().includes("after"));
    await Bun.sleep(250); // longer than the poll interval: nothing else turns up
    await r.consumer.stop();
    // Where a failed write may have landed in part, only its innocent records can show, once each.
    const landed = r.values().filter((v) => v !== "after");
    expect(r.values().filter((v) => v === "after").length).toBe(1);
    expect(landed.every((v) => innocent.some((x) => x.value === v))).toBe(true);
    expect(new Set(landed).size).toBe(landed.length);
    expect(adapter.failedWriteMayLand || landed.length === 0).toBe(true);
  }, TIMEOUT_MS);

  it("a publish after close rejects; one accepted before close is written", async () => {
    const store = await freshStore();
    const events = await adapter.open(store);
    const before = events.publish("gifts", [{ key: "k", value: "before close" }]);
    await events.close();
    await before;
    await expect(events.publish("gifts", [{ key: "k", value: "too late" }])).rejects.toThrow(EventLogClosedError);
  }, TIMEOUT_MS);

  it("publishing nothing is a no-op, and maxBatch must be positive", async () => {
    const events = await adapter.open();
    await events.publish("gifts", []);
    await expect(events.consume({ topic: "gifts", group: "g", maxBatch: 0, handle: async () => {} })).rejects.toThrow(
      RangeError,
    );
  }, TIMEOUT_MS);
});

describe("embedded event log", () => {
  test("a second consumer of the same group waits its turn instead of double-reading", async () => {
    const events = sqliteLog(await freshStore());
    await events.publish("gifts", records("m", 20, 2));
    const a = await recordingConsumer(events, {
      topic: "gifts",
      group: "g",
      maxBatch: 5,
      handle: async () => {
        await Bun.sleep(20);
      },
    });
    const b = await recordingConsumer(events, { topic: "gifts", group: "g", maxBatch: 5 });
    await waitFor("a to finish", () => a.values().length >= 20);
    await Bun.sleep(200);
    expect(b.values()).toEqual([]);
    await a.consumer.stop();
    await events.publish("gifts", records("n", 3, 1));
    await waitFor("b to take over", () => b.values().length >= 3);
    expect(b.values()).toEqual(["n0", "n1", "n2"]);
  });

  test("positions survive a new log instance over the same file", async () => {
    const store = await freshStore();
    const ns = uniqueName("log");
    const a = sqliteLog(store, ns);
    await a.publish("gifts", records("m", 8, 1));
    const ra = await recordingConsumer(a, { topic: "gifts", group: "g", maxBatch: 3 });
    await waitFor("a", () => ra.values().length >= 8);
    await a.close();
    const b = sqliteLog(store, ns);
    await b.publish("gifts", records("n", 2, 1));
    const rb = await recordingConsumer(b, { topic: "gifts", group: "g", maxBatch: 3 });
    await waitFor("b", () => rb.values().length >= 2);
    await Bun.sleep(200);
    expect(rb.values()).toEqual(["n0", "n1"]);
  });

  test("one transaction of several topics and more than one INSERT's rows stores every record once, each under its own topic, key and value", async () => {
    const store = await freshStore();
    const ns = uniqueName("log");
    const events = sqliteLog(store, ns);
    // Both topics are written inside one store transaction, so one
    // transaction carries them whatever the group commit's linger; the 1,500
    // records of "gifts" span two multi-row INSERTs (at most 1,000 rows each).
    const gifts = records("g", 1500, 13);
    const pay = records("p", 3, 2);
    await store.transact(async (trx) => {
      await events.publishWithin(trx, "gifts", gifts);
      await events.publishWithin(trx, "pay", pay);
    });
    // Exactly the rows written, no more: a doubled INSERT would show here.
    const stored = await store.db
      .selectFrom("event_log")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("topic", "in", [`${ns}.gifts`, `${ns}.pay`])
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(gifts.length + pay.length);
    const rg = await recordingConsumer(events, { topic: "gifts", group: "g", maxBatch: 500 });
    const rp = await recordingConsumer(events, { topic: "pay", group: "g", maxBatch: 500 });
    await waitFor("every record", () => rg.values().length >= gifts.length && rp.values().length >= pay.length);
    await Promise.all([rg.consumer.stop(), rp.consumer.stop()]);
    const got = (r: typeof rg) => r.batches.flat().map((m) => ({ topic: m.topic, key: m.key, value: m.value }));
    expect(got(rg)).toEqual(gifts.map((x) => ({ topic: "gifts", ...x })));
    expect(got(rp)).toEqual(pay.map((x) => ({ topic: "pay", ...x })));
  });
});

describe.skipIf(!brokers?.length)("cluster event log", () => {
  test("a publish whose broker is gone fails within its bound instead of hanging; callers queued behind it fail too", async () => {
    const mock = await startMockKafka(1);
    expect(mock).toBeDefined();
    cleanups.push(() => mock!.kill());
    const events = await createKafkaEventLog({
      brokers: mock!.bootstrap,
      clientId: "ovation-log-test",
      log: createLogger({ test: "log-contract" }, "silent"),
      namespace: uniqueName("log"),
      publishing: { timeoutMs: 1500 },
    });
    cleanups.push(() => events.close().catch(() => {}));
    await events.publish("gifts", [{ key: "k", value: "while up" }]);
    await mock!.kill();
    // No test-side clock: the suite's own timeout is the "never hangs" check.
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => events.publish("gifts", [{ key: `k${i}`, value: `after ${i}` }])));
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
  }, TIMEOUT_MS);
});
