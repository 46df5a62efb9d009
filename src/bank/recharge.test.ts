// The recharge path on both profiles, over a real server: products,
// pay orders, the notify endpoint's answers and guarantees, and the
// invariant checker.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { checkInvariants } from "../../scripts/check-invariants.ts";
import { createDeployment, eventually, serve, type Client, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest } from "../../test/services.ts";
import type { Deps } from "../deps.ts";
import { seedRechargeCatalogue } from "./seed.ts";
import { signPayload, signedHeaders } from "./signature.ts";
import { createOrder, moneySnapshot, notificationBody, notify } from "../../test/recharge.ts";
import { PayOrderStatus } from "./types.ts";

describe.each(profilesUnderTest())("recharge on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let client: Client;
  let secret: string;
  let stopServer: () => Promise<void>;

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    deps = await deployment.spawn();
    await seedRechargeCatalogue(deps.store);
    const s = await serve(deps);
    client = s.client;
    stopServer = s.server.stop;
    secret = deployment.config.paySecret;
  });
  afterAll(async () => {
    await stopServer();
    await deployment.destroy();
  });

  test("products of type 0: price descending, coins from extra, with my balance", async () => {
    const r = await client.call<{ currentBalance: number; products: { id: number; name: string; price: number; coinNum: number }[] }>(
      "GET",
      "/api/bank/products?type=0",
      { as: { userId: 3001, role: "viewer" } },
    );
    expect(r.status).toBe(200);
    expect(r.data.currentBalance).toBe(0);
    expect(r.data.products.map((p) => [p.id, p.price, p.coinNum])).toEqual([
      [10, 10000, 1000],
      [9, 5000, 500],
      [8, 4000, 400],
      [7, 3500, 350],
      [6, 3000, 300],
    ]);
    expect(r.data.products[4]!.name).toBe("30元旗鱼币");
    const other = await client.call<{ products: unknown[] }>("GET", "/api/bank/products?type=7", { as: { userId: 3001, role: "viewer" } });
    expect(other.data.products).toEqual([]);
    expect((await client.call("GET", "/api/bank/products?type=0")).status).toBe(401);
  });

  test("an order is created PAYING with a sandbox pay URL; only its owner can read it", async () => {
    const order = await createOrder(client, 3002, 7, "WECHAT");
    expect(order.status).toBe("PAYING");
    expect(order.amount).toBe(3500);
    expect(order.orderId).toMatch(/^RC[A-Za-z0-9_-]{21}$/);
    expect(order.payUrl).toBe(`${client.url}/sandbox/pay/${order.orderId}`);

    const mine = await client.call<Record<string, unknown>>("GET", `/api/bank/orders/${order.orderId}`, { as: { userId: 3002, role: "viewer" } });
    expect(mine.status).toBe(200);
    expect(mine.data).toMatchObject({ orderId: order.orderId, productId: 7, status: "PAYING", amount: 3500, payTime: null });

    const theirs = await client.call("GET", `/api/bank/orders/${order.orderId}`, { as: { userId: 3003, role: "viewer" } });
    const missing = await client.call("GET", `/api/bank/orders/RCdoesnotexist000000000`, { as: { userId: 3003, role: "viewer" } });
    expect([theirs.status, theirs.code]).toEqual([404, 300002]);
    // Another user's order looks exactly like one that does not exist.
    expect(theirs.msg.replace(order.orderId, "X")).toBe(missing.msg.replace("RCdoesnotexist000000000", "X"));

    const unknownProduct = await client.call("POST", "/api/bank/orders", { as: { userId: 3002, role: "viewer" }, body: { productId: 99, paySource: 1, payChannel: 0 } });
    expect([unknownProduct.status, unknownProduct.code]).toEqual([404, 300001]);
    const badChannel = await client.call("POST", "/api/bank/orders", { as: { userId: 3002, role: "viewer" }, body: { productId: 6, paySource: 1, payChannel: 9 } });
    expect([badChannel.status, badChannel.code]).toEqual([400, 100001]);
    expect(badChannel.msg).toContain("payChannel");
  });

  test("bad, missing and stale signatures: 401 fail, nothing changes", async () => {
    const userId = 3010;
    const order = await createOrder(client, userId);
    const body = notificationBody(order.orderId, order.amount);
    const before = await moneySnapshot(deps, userId, order.orderId);
    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, Record<string, string>> = {
      "wrong secret": signedHeaders("not-the-pay-secret-at-all", body),
      "missing signature": { "X-Pay-Timestamp": String(now) },
      "missing timestamp": { "X-Pay-Signature": signPayload(secret, now, body) },
      "no headers": {},
      "stale timestamp": { "X-Pay-Timestamp": String(now - 301), "X-Pay-Signature": signPayload(secret, now - 301, body) },
      "future timestamp": { "X-Pay-Timestamp": String(now + 301), "X-Pay-Signature": signPayload(secret, now + 301, body) },
      "uppercase hex": { "X-Pay-Timestamp": String(now), "X-Pay-Signature": signPayload(secret, now, body).toUpperCase() },
      "short signature": { "X-Pay-Timestamp": String(now), "X-Pay-Signature": signPayload(secret, now, body).slice(0, 32) },
      "body changed after signing": signedHeaders(secret, body.replace(`"amount":${order.amount}`, `"amount":${order.amount} `)),
    };
    for (const [name, headers] of Object.entries(cases)) {
      const r = await notify(client.url, secret, body, { headers });
      expect({ name, ...r }).toEqual({ name, status: 401, text: "fail" });
    }
    expect(await moneySnapshot(deps, userId, order.orderId)).toEqual(before);
  });

  test("an unknown order, a wrong amount, a foreign bizCode or channel: 400 fail, nothing changes", async () => {
    const userId = 3020;
    const order = await createOrder(client, userId);
    const before = await moneySnapshot(deps, userId, order.orderId);
    const bodies = {
      "unknown order": notificationBody("RCnosuchorder0000000000", order.amount),
      "amount too low": notificationBody(order.orderId, order.amount - 1),
      "amount of another product": notificationBody(order.orderId, 10000),
      "unknown bizCode": notificationBody(order.orderId, order.amount, { bizCode: 424242 }),
      "not JSON": "orderId=" + order.orderId,
      "missing tradeNo": JSON.stringify({ orderId: order.orderId, amount: order.amount, bizCode: 10001, paidAt: Date.now() }),
    };
    for (const [name, body] of Object.entries(bodies)) {
      const r = await notify(client.url, secret, body);
      expect({ name, ...r }).toEqual({ name, status: 400, text: "fail" });
    }
    const wrongChannel = await notify(client.url, secret, notificationBody(order.orderId, order.amount), { channel: "wechat" });
    expect(wrongChannel).toEqual({ status: 400, text: "fail" });
    const unknownChannel = await notify(client.url, secret, notificationBody(order.orderId, order.amount), { channel: "paypal" });
    expect(unknownChannel).toEqual({ status: 400, text: "fail" });
    expect(await moneySnapshot(deps, userId, order.orderId)).toEqual(before);
  });

  test("six concurrent valid notifications: all answer success, the coins arrive once", async () => {
    const userId = 3030;
    const order = await createOrder(client, userId, 9, 1);
    const body = notificationBody(order.orderId, order.amount);
    const counted = (outcome: string) => deps.metrics.orders.get({ kind: "pay_order", outcome });
    const [paidBefore, repeatsBefore] = [counted("paid"), counted("already_paid")];
    // The channel by name and by number reach the same endpoint.
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => notify(client.url, secret, body, { channel: i % 2 ? "WECHAT" : "1" })));
    expect(answers).toEqual(Array.from({ length: 6 }, () => ({ status: 200, text: "success" })));
    expect([counted("paid") - paidBefore, counted("already_paid") - repeatsBefore]).toEqual([1, 5]);

    const wallet = await client.call<{ balance: number; totalCharged: number }>("GET", "/api/wallet", { as: { userId, role: "viewer" } });
    expect(wallet.data).toMatchObject({ balance: 500, totalCharged: 500 });
    const trades = await client.call<{ items: { num: number; type: number; bizId: string }[] }>("GET", "/api/wallet/trades", { as: { userId, role: "viewer" } });
    expect(trades.data.items).toEqual([expect.objectContaining({ num: 500, type: 1, bizId: `recharge:${order.orderId}` })]);
    const read = await client.call<{ status: string; payTime: number }>("GET", `/api/bank/orders/${order.orderId}`, { as: { userId, role: "viewer" } });
    expect(read.data.status).toBe("PAYED");
    expect(read.data.payTime).toBeGreaterThan(0);
    const events = await deps.store.db.selectFrom("outbox").select(["event_id", "payload"]).where("event_id", "=", `recharge-paid:${order.orderId}`).execute();
    expect(events.length).toBe(1);
    expect(JSON.parse(events[0]!.payload)).toMatchObject({ eventId: `recharge-paid:${order.orderId}`, orderId: order.orderId, userId, coins: 500, amount: 5000, tradeNo: `T-${order.orderId}` });

    // The hot store learned the credit: the coins can be spent at once.
    expect(await deps.wallet.hotAvailable(userId)).toSatisfy((v) => v === null || v === 500);

    // A repeat later, even with another tradeNo: success, nothing changes.
    const before = await moneySnapshot(deps, userId, order.orderId);
    expect(await notify(client.url, secret, notificationBody(order.orderId, order.amount, { tradeNo: "another" }), { channel: "wechat" })).toEqual({ status: 200, text: "success" });
    expect(await moneySnapshot(deps, userId, order.orderId)).toEqual(before);
  });

  test("the invariant checker is clean after all that, and reports a planted violation", async () => {
    // Quiescent: the relay has moved every event.
    await eventually(async () => (await checkInvariants(deps.store, deps.hot, { quiescent: true })).length === 0);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);

    // Plant: an order marked PAYED behind the notify path's back (no credit, no event).
    const order = await createOrder(client, 3040);
    await deps.store.db.updateTable("pay_order").set({ status: PayOrderStatus.PAYED }).where("order_id", "=", order.orderId).execute();
    const violations = await checkInvariants(deps.store, deps.hot);
    expect(violations).toContain(`R1 user 3040: Σ RECHARGE ledger 0 ≠ Σ coins of PAYED orders 300`);
    expect(violations).toContain(`R2 order ${order.orderId}: PAYED without its RECHARGE ledger row`);
    expect(violations).toContain(`R4 order ${order.orderId}: PAYED with 0 payment events (expected 1)`);
    expect(violations.some((v) => v.startsWith("R1 total:"))).toBe(true);

    // And a total_charged that drifted from the ledger.
    await sql`UPDATE currency_account SET total_charged = total_charged + 1 WHERE user_id = ${3030}`.execute(deps.store.db);
    expect(await checkInvariants(deps.store, deps.hot)).toContain("R3 user 3030: total_charged 501 ≠ Σ RECHARGE ledger 500");
  });
});
