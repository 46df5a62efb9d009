// The payment event leaves through the outbox: a process that stops between
// the commit and the relay still gets its event published, exactly once, by
// whichever process relays next; with two relays racing, every event still
// appears once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDeployment, eventually, serve, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest, uniqueName } from "../../test/services.ts";
import type { LogConsumer } from "../eventlog/port.ts";
import { seedRechargeCatalogue } from "./seed.ts";
import { createOrder, notificationBody, notify } from "../../test/recharge.ts";
import { COIN_RECHARGE_TOPIC, rechargeEventId } from "./types.ts";

describe.each(profilesUnderTest())("recharge events through the outbox on the %s profile", (profile) => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await createDeployment(profile);
  }, 30_000);
  afterAll(async () => {
    await deployment.destroy();
  }, 30_000);

  test("stopped after the commit, before the relay: a later process publishes the event exactly once", async () => {
    const secret = deployment.config.paySecret;
    // The first process owns the embedded hot store and outlives the others; no relay runs yet.
    // (consumers: false throughout: gift consumers are beside the point, and
    // extra members of one Kafka group only slow the test down with rebalances.)
    const keeper = await deployment.spawn({ consumers: false, outboxRelay: false, sandboxWorker: false });
    await seedRechargeCatalogue(keeper.store);

    const doomed = await deployment.spawn({ consumers: false, outboxRelay: false, sandboxWorker: false });
    const first = await serve(doomed);
    const order = await createOrder(first.client, 4001, 8);
    expect(await notify(first.client.url, secret, notificationBody(order.orderId, order.amount))).toEqual({ status: 200, text: "success" });
    const pending = await keeper.store.db.selectFrom("outbox").select(["event_id", "published_time"]).execute();
    expect(pending).toEqual([{ event_id: rechargeEventId(order.orderId), published_time: null }]);
    // The process goes away with the event still in the outbox.
    await first.server.stop();
    await doomed.close();

    // Two new processes, both relaying; an auditor counts what reaches the topic.
    const a = await deployment.spawn({ consumers: false });
    const b = await deployment.spawn({ consumers: false });
    const seen: string[] = [];
    const audit: LogConsumer = await a.events.consume({
      topic: COIN_RECHARGE_TOPIC,
      group: uniqueName("audit"),
      maxBatch: 50,
      handle: async (batch) => {
        for (const m of batch) seen.push((JSON.parse(m.value) as { eventId: string }).eventId);
      },
    });
    try {
      await eventually(() => seen.includes(rechargeEventId(order.orderId)), 30_000);
      const published = await keeper.store.db.selectFrom("outbox").select("published_time").where("event_id", "=", rechargeEventId(order.orderId)).executeTakeFirstOrThrow();
      expect(published.published_time).toBeGreaterThan(0);

      // The normal case with both relays running: a new payment's event appears once too.
      const second = await serve(b);
      const order2 = await createOrder(second.client, 4002, 6);
      expect(await notify(second.client.url, secret, notificationBody(order2.orderId, order2.amount))).toEqual({ status: 200, text: "success" });
      await eventually(() => seen.includes(rechargeEventId(order2.orderId)), 30_000);
      await second.server.stop();

      // Give a duplicate time to show up before counting.
      await Bun.sleep(1500);
      expect(seen.filter((e) => e === rechargeEventId(order.orderId)).length).toBe(1);
      expect(seen.filter((e) => e === rechargeEventId(order2.orderId)).length).toBe(1);
      expect(seen.length).toBe(2);
    } finally {
      await audit.stop();
    }
  }, 60_000);
});
