// The gift path end to end, on both profiles: admission races, idempotency,
// the consumer's crash window, refunds, cross-process cache invalidation, a
// hot wallet lost while sends were pending.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { checkInvariants } from "../../scripts/check-invariants.ts";
import type { Deps } from "../deps.ts";
import { seedRechargeCatalogue } from "../bank/seed.ts";
import { createLocalHot, type Hot } from "../hot/index.ts";
import { pendingBucket } from "../hot/coins/port.ts";
import { createOrder, notificationBody, notify } from "../../test/recharge.ts";
import { TradeType } from "../wallet/types.ts";
import { createDeployment, eventually, loadHotWallet, serve, wsClient, type Client, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest, services } from "../../test/services.ts";

const ADMIN = { userId: 1, role: "admin" as const };
const ANCHOR = { userId: 500, role: "anchor" as const };

describe.each(profilesUnderTest())("gifts on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let client: Client;
  let stopServer: () => Promise<void>;
  let roomId: number;
  let nextUser = 10_000;
  const freshViewer = () => ({ userId: ++nextUser, role: "viewer" as const });

  async function grant(userId: number, amount: number) {
    const r = await client.call("POST", "/api/admin/wallet/grant", { as: ADMIN, body: { userId, amount, requestId: `g-${userId}-${amount}-${Math.random()}` } });
    expect(r.status).toBe(200);
  }
  async function balance(userId: number): Promise<number> {
    const r = await client.call<{ balance: number }>("GET", "/api/wallet", { as: { userId, role: "viewer" } });
    return r.data.balance;
  }
  const ledger = (userId: number) => deps.store.db.selectFrom("currency_trade").selectAll().where("user_id", "=", userId).where("type", "=", TradeType.SEND_GIFT).execute();
  const records = (userId: number) => deps.store.db.selectFrom("gift_record").selectAll().where("sender_id", "=", userId).execute();

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    deps = await deployment.spawn();
    const s = await serve(deps);
    client = s.client;
    stopServer = s.server.stop;
    await client.call("POST", "/api/admin/gifts", { as: ADMIN, body: { giftId: 900, giftName: "crown", price: 20 } });
    const room = await client.call<{ roomId: number }>("POST", "/api/rooms", { as: ANCHOR, body: { title: "test room", type: 0 } });
    expect(room.status).toBe(201);
    roomId = room.data.roomId;
  });

  afterAll(async () => {
    await stopServer();
    await deployment.destroy();
  });

  test("100 parallel sends of a 20-coin gift on 200 coins: 10 accepted, 90 refused at once; all persisted and pushed", async () => {
    const viewer = freshViewer();
    await grant(viewer.userId, 200);
    const watcher = await wsClient(client.url, 77, roomId);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => client.call("POST", "/api/gifts/send", { as: viewer, body: { giftId: 900, roomId, receiverId: ANCHOR.userId } })),
    );
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 402);
    expect(accepted.length).toBe(10);
    expect(refused.length).toBe(90);
    expect(refused.every((r) => r.code === 200003)).toBe(true);

    await eventually(async () => (await records(viewer.userId)).length === 10);
    expect(await balance(viewer.userId)).toBe(0);
    expect((await ledger(viewer.userId)).length).toBe(10);
    const pushes = await eventually(() => {
      const mine = watcher.messages.filter((m) => m.type === "gift" && m.data.senderId === viewer.userId);
      return mine.length >= 10 ? mine : null;
    });
    expect(pushes.length).toBe(10);
    expect(pushes[0]!.bizCode).toBe(5556);
    expect(pushes[0]!.data).toMatchObject({ roomId, giftId: 900, giftName: "crown", price: 20, receiverId: ANCHOR.userId });
    for (const r of accepted) {
      const id = (r.data as { requestId: string }).requestId;
      const st = await client.call<{ status: string }>("GET", `/api/gifts/sends/${id}`, { as: viewer });
      expect(st.data.status).toBe("success");
    }
    watcher.close();
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);

    // History: newest first, paged by cursor, seen by sender and receiver.
    const seen: number[] = [];
    let cursor: number | null = null;
    do {
      const page: { data: { items: { id: number; price: number; senderId: number }[]; nextCursor: number | null } } = await client.call(
        "GET",
        `/api/gifts/records?role=sent&limit=4${cursor ? `&cursor=${cursor}` : ""}`,
        { as: viewer },
      );
      expect(page.data.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.data.items.map((i) => i.id));
      cursor = page.data.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(10);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    const received = await client.call<{ items: { senderId: number }[] }>("GET", "/api/gifts/records?role=received&limit=100", { as: { ...ANCHOR } });
    expect(received.data.items.filter((i) => i.senderId === viewer.userId).length).toBe(10);
    const trades = await client.call<{ items: { num: number; type: number }[] }>("GET", "/api/wallet/trades?limit=100", { as: viewer });
    expect(trades.data.items.filter((t) => t.type === TradeType.SEND_GIFT && t.num === -20).length).toBe(10);
  });

  test("the same requestId twice debits once; reused with another body is IDEMPOTENCY_CONFLICT", async () => {
    const viewer = freshViewer();
    await grant(viewer.userId, 100);
    const body = { giftId: 900, roomId, receiverId: ANCHOR.userId, requestId: `dup-${viewer.userId}` };
    const [a, b] = await Promise.all([
      client.call("POST", "/api/gifts/send", { as: viewer, body }),
      client.call("POST", "/api/gifts/send", { as: viewer, body }),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    await eventually(async () => (await records(viewer.userId)).length === 1);
    // The consumer settles the admission just after its commit; a repeat answers from the admission.
    await eventually(async () => (await deps.wallet.admission(viewer.userId, body.requestId))?.state === "settled");
    const again = await client.call<{ status: string }>("POST", "/api/gifts/send", { as: viewer, body });
    expect(again.status).toBe(202);
    expect(again.data.status).toBe("success");
    const conflict = await client.call("POST", "/api/gifts/send", { as: viewer, body: { ...body, receiverId: ANCHOR.userId + 1 } });
    expect(conflict.status).toBe(409);
    expect(conflict.code).toBe(100006);
    await Bun.sleep(300);
    expect(await balance(viewer.userId)).toBe(80);
    expect((await ledger(viewer.userId)).length).toBe(1);
  });

  test("synchronous refusals: unknown gift, unknown room, closed room, sending to yourself, bad input", async () => {
    const viewer = freshViewer();
    await grant(viewer.userId, 100);
    const send = (body: Record<string, unknown>) => client.call("POST", "/api/gifts/send", { as: viewer, body });
    expect((await send({ giftId: 12345, roomId, receiverId: ANCHOR.userId })).code).toBe(200001);
    expect((await send({ giftId: 900, roomId: 987654, receiverId: ANCHOR.userId })).code).toBe(150001);
    expect((await send({ giftId: 900, roomId, receiverId: viewer.userId })).code).toBe(200002);
    const bad = await send({ giftId: "x", roomId, receiverId: ANCHOR.userId });
    expect(bad.status).toBe(400);
    expect(bad.msg).toContain("giftId");
    const anchor2 = { userId: 501, role: "anchor" as const };
    const r2 = await client.call<{ roomId: number }>("POST", "/api/rooms", { as: anchor2, body: { title: "short", type: 0 } });
    await Bun.sleep(1); // distinct from the start in the rate limiter's eyes is not needed: close has its own window
    const closed = await client.call("POST", `/api/rooms/${r2.data.roomId}/close`, { as: { ...anchor2 } });
    expect(closed.status === 200 || closed.status === 429).toBe(true);
    if (closed.status === 200) {
      expect((await send({ giftId: 900, roomId: r2.data.roomId, receiverId: anchor2.userId })).code).toBe(150002);
    }
    expect(await balance(viewer.userId)).toBe(100);
  });

  test("a send the database refuses after acceptance is refunded and reported to the sender only", async () => {
    const viewer = freshViewer();
    await grant(viewer.userId, 100);
    await client.call("GET", "/api/wallet", { as: viewer });
    // The database freezes the account after the hot store admitted the coins.
    await deps.store.db.updateTable("currency_account").set({ status: 1 }).where("user_id", "=", viewer.userId).execute();
    const senderSocket = await wsClient(client.url, viewer.userId, roomId);
    const bystander = await wsClient(client.url, 78, roomId);
    const r = await client.call<{ requestId: string }>("POST", "/api/gifts/send", { as: viewer, body: { giftId: 900, roomId, receiverId: ANCHOR.userId } });
    expect(r.status).toBe(202);
    const fail = await eventually(() => senderSocket.messages.find((m) => m.type === "gift_fail"));
    expect(fail.bizCode).toBe(5557);
    expect(fail.data).toEqual({ requestId: r.data.requestId, reason: "account_frozen" });
    const status = await client.call<{ status: string; reason: string }>("GET", `/api/gifts/sends/${r.data.requestId}`, { as: viewer });
    expect(status.data).toMatchObject({ status: "failed", reason: "account_frozen" });
    await Bun.sleep(200);
    expect(bystander.messages.some((m) => m.type === "gift_fail" || (m.type === "gift" && m.data.requestId === r.data.requestId))).toBe(false);
    expect(await deps.wallet.hotAvailable(viewer.userId)).toBe(100);
    expect(await balance(viewer.userId)).toBe(100);
    expect((await ledger(viewer.userId)).length).toBe(0);
    senderSocket.close();
    bystander.close();
    await deps.store.db.updateTable("currency_account").set({ status: 0 }).where("user_id", "=", viewer.userId).execute();
    expect(await checkInvariants(deps.store, deps.hot)).toEqual([]);
  });

  test("the hot store refills from the database when its wallet is gone", async () => {
    const viewer = freshViewer();
    await grant(viewer.userId, 60);
    await deps.wallet.dropHot(viewer.userId);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => client.call("POST", "/api/gifts/send", { as: viewer, body: { giftId: 900, roomId, receiverId: ANCHOR.userId } })),
    );
    expect(results.filter((r) => r.status === 202).length).toBe(3);
    await eventually(async () => (await records(viewer.userId)).length === 3);
    expect(await balance(viewer.userId)).toBe(0);
  });

  test("a hot store that over-admits is caught by the database, refunded, and rebuilt", async () => {
    const viewer = freshViewer();
    await grant(viewer.userId, 100);
    // A front process with no consumer, so every admission stays pending.
    const front = await deployment.spawn({ consumers: false });
    const s = await serve(front);
    // Plant drift: the hot store believes in 1000 coins, the database holds 100.
    // (Loaded from a balance the database holds only for the moment of the load.)
    const setBalance = (coins: number) => front.store.db.updateTable("currency_account").set({ current_balance: coins }).where("user_id", "=", viewer.userId).execute();
    await front.wallet.dropHot(viewer.userId);
    await setBalance(1000);
    await loadHotWallet(front, viewer.userId);
    await setBalance(100);
    expect(await front.wallet.hotAvailable(viewer.userId)).toBe(1000);
    const sends = await Promise.all(
      Array.from({ length: 10 }, () => s.client.call("POST", "/api/gifts/send", { as: viewer, body: { giftId: 900, roomId, receiverId: ANCHOR.userId } })),
    );
    expect(sends.every((r) => r.status === 202)).toBe(true);
    await s.server.stop();
    // The consumer (in the main process) decides them against the database.
    const failures = () => deps.store.db.selectFrom("gift_send_failure").select("reason").where("sender_id", "=", viewer.userId).execute();
    await eventually(async () => (await records(viewer.userId)).length + (await failures()).length === 10);
    expect((await records(viewer.userId)).length).toBe(5);
    expect((await failures()).map((f) => f.reason)).toEqual(Array(5).fill("insufficient_balance"));
    expect(await balance(viewer.userId)).toBe(0);
    // Rebuilt from the truth: the next send is refused at once.
    await eventually(async () => (await deps.wallet.hotAvailable(viewer.userId)) === null);
    const next = await client.call("POST", "/api/gifts/send", { as: viewer, body: { giftId: 900, roomId, receiverId: ANCHOR.userId } });
    expect(next.status).toBe(402);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("a credit whose process died before telling the hot store is found at the next refusal", async () => {
    const viewer = freshViewer();
    await grant(viewer.userId, 20);
    const first = await client.call("POST", "/api/gifts/send", { as: viewer, body: { giftId: 900, roomId, receiverId: ANCHOR.userId } });
    expect(first.status).toBe(202);
    await eventually(async () => (await records(viewer.userId)).length === 1);
    expect(await deps.wallet.hotAvailable(viewer.userId)).toBe(0);
    // The grant's transaction commits, then its process dies: applyCreditToHot never runs.
    await deps.store.transact((trx) => deps.wallet.creditInTx(trx, { userId: viewer.userId, amount: 100, type: TradeType.ADMIN_GRANT, bizId: `lost-${viewer.userId}` }));
    expect(await deps.wallet.hotAvailable(viewer.userId)).toBe(0);
    const sends = await Promise.all(
      Array.from({ length: 6 }, () => client.call("POST", "/api/gifts/send", { as: viewer, body: { giftId: 900, roomId, receiverId: ANCHOR.userId } })),
    );
    expect(sends.filter((r) => r.status === 202).length).toBe(5);
    await eventually(async () => (await records(viewer.userId)).length === 6);
    expect(await balance(viewer.userId)).toBe(0);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("request ids differing only in case are two sends, and the consumer keeps going", async () => {
    const viewer = freshViewer();
    await grant(viewer.userId, 60);
    const body = { giftId: 900, roomId, receiverId: ANCHOR.userId };
    for (const requestId of ["case-abc", "case-ABC", "case-after"]) {
      expect((await client.call("POST", "/api/gifts/send", { as: viewer, body: { ...body, requestId } })).status).toBe(202);
    }
    await eventually(async () => (await records(viewer.userId)).length === 3);
    for (const requestId of ["case-abc", "case-ABC", "case-after"]) {
      expect((await client.call<{ status: string }>("GET", `/api/gifts/sends/${requestId}`, { as: viewer })).data.status).toBe("success");
    }
    expect(await balance(viewer.userId)).toBe(0);
  });

  test("an admin gift change is served by a second process within 1 s", async () => {
    const other = await deployment.spawn({ consumers: false });
    const second = await serve(other);
    try {
      const before = await second.client.call<{ price: number }>("GET", "/api/gifts/900");
      expect(before.data.price).toBe(20);
      const changedAt = Date.now();
      const put = await client.call("PUT", "/api/admin/gifts/900", { as: ADMIN, body: { giftName: "golden crown" } });
      expect(put.status).toBe(200);
      await eventually(async () => (await second.client.call<{ giftName: string }>("GET", "/api/gifts/900")).data.giftName === "golden crown", 1000, 10);
      expect(Date.now() - changedAt).toBeLessThan(1000);
      await client.call("PUT", "/api/admin/gifts/900", { as: ADMIN, body: { status: 0 } });
      await eventually(async () => (await second.client.call("GET", "/api/gifts/900")).status === 404, 1000, 10);
      await client.call("PUT", "/api/admin/gifts/900", { as: ADMIN, body: { status: 1, giftName: "crown" } });
    } finally {
      await second.server.stop();
    }
  });
});

describe.each(profilesUnderTest())("the gift consumer's crash window on the %s profile", (profile) => {
  test("killed after its database commit, before its offset commit: redelivered without a second debit", async () => {
    const deployment = await createDeployment(profile);
    try {
      let crashes = 0;
      // Process A persists, then "dies" before settling and committing: every
      // attempt throws right after the commit, so its offset never moves.
      const a = await deployment.spawn({
        giftConsumerHooks: {
          afterCommit: async () => {
            crashes++;
            throw new Error("simulated crash after commit");
          },
        },
      });
      const sa = await serve(a);
      await sa.client.call("POST", "/api/admin/gifts", { as: ADMIN, body: { giftId: 901, giftName: "rocket", price: 45 } });
      const room = await sa.client.call<{ roomId: number }>("POST", "/api/rooms", { as: ANCHOR, body: { title: "crash", type: 0 } });
      const viewer = { userId: 4242, role: "viewer" as const };
      await sa.client.call("POST", "/api/admin/wallet/grant", { as: ADMIN, body: { userId: viewer.userId, amount: 100, requestId: "crash-grant" } });
      const sent = await sa.client.call<{ requestId: string }>("POST", "/api/gifts/send", { as: viewer, body: { giftId: 901, roomId: room.data.roomId, receiverId: ANCHOR.userId } });
      expect(sent.status).toBe(202);
      await eventually(() => crashes >= 1);
      const row = await a.store.db.selectFrom("currency_trade").selectAll().where("user_id", "=", viewer.userId).where("type", "=", TradeType.SEND_GIFT).execute();
      expect(row.length).toBe(1);
      expect((await a.wallet.admission(viewer.userId, sent.data.requestId))?.state).toBe("claimed");
      await sa.server.stop();
      await a.close();

      // Process B takes over the group and gets the batch again.
      const b = await deployment.spawn();
      const sb = await serve(b);
      await eventually(async () => (await b.wallet.admission(viewer.userId, sent.data.requestId))?.state === "settled", 20000);
      const trades = await b.store.db.selectFrom("currency_trade").selectAll().where("user_id", "=", viewer.userId).where("type", "=", TradeType.SEND_GIFT).execute();
      expect(trades.length).toBe(1);
      const records = await b.store.db.selectFrom("gift_record").selectAll().where("sender_id", "=", viewer.userId).execute();
      expect(records.length).toBe(1);
      const wallet = await sb.client.call<{ balance: number }>("GET", "/api/wallet", { as: viewer });
      expect(wallet.data.balance).toBe(55);
      expect(await b.wallet.hotAvailable(viewer.userId)).toBe(55);
      expect(await checkInvariants(b.store, b.hot, { quiescent: true })).toEqual([]);
      await sb.server.stop();
    } finally {
      await deployment.destroy();
    }
  }, 60000);

  test("a send whose produce was reported failed but landed is never debited: its cancelled admission makes it not_delivered", async () => {
    const deployment = await createDeployment(profile);
    try {
      const front = await deployment.spawn({ consumers: false });
      const s = await serve(front);
      await s.client.call("POST", "/api/admin/gifts", { as: ADMIN, body: { giftId: 902, giftName: "lamp", price: 20 } });
      const room = await s.client.call<{ roomId: number }>("POST", "/api/rooms", { as: ANCHOR, body: { title: "lost ack", type: 0 } });
      const viewer = { userId: 4343, role: "viewer" as const };
      await s.client.call("POST", "/api/admin/wallet/grant", { as: ADMIN, body: { userId: viewer.userId, amount: 100, requestId: "ack-grant" } });
      const sent = await s.client.call<{ requestId: string }>("POST", "/api/gifts/send", { as: viewer, body: { giftId: 902, roomId: room.data.roomId, receiverId: ANCHOR.userId } });
      expect(sent.status).toBe(202);
      // What the send path does when the broker's acknowledgement is lost: it cancels, and its client hears 503.
      expect(await front.wallet.refund(viewer.userId, sent.data.requestId)).toBe(true);
      expect(await front.wallet.hotAvailable(viewer.userId)).toBe(100);
      await deployment.spawn();
      const failures = () => front.store.db.selectFrom("gift_send_failure").select("reason").where("sender_id", "=", viewer.userId).execute();
      await eventually(async () => (await failures()).length === 1);
      expect((await failures()).map((f) => f.reason)).toEqual(["not_delivered"]);
      expect((await front.store.db.selectFrom("gift_record").select("id").where("sender_id", "=", viewer.userId).execute()).length).toBe(0);
      const wallet = await s.client.call<{ balance: number }>("GET", "/api/wallet", { as: viewer });
      expect(wallet.data.balance).toBe(100);
      expect(await front.wallet.hotAvailable(viewer.userId)).toBe(100);
      const status = await s.client.call<{ status: string; reason: string }>("GET", `/api/gifts/sends/${sent.data.requestId}`, { as: viewer });
      expect(status.data).toMatchObject({ status: "failed", reason: "not_delivered" });
      // Nothing is held: all 5 more fit.
      const more = await Promise.all(
        Array.from({ length: 5 }, () =>
          s.client.call<{ requestId: string }>("POST", "/api/gifts/send", { as: viewer, body: { giftId: 902, roomId: room.data.roomId, receiverId: ANCHOR.userId } }),
        ),
      );
      expect(more.filter((r) => r.status === 202).length).toBe(5);
      // Settled, not only recorded: the records commit before the consumer settles their admissions.
      const settled = async () => (await Promise.all(more.map((r) => front.wallet.admission(viewer.userId, r.data.requestId)))).every((a) => a?.state === "settled");
      await eventually(settled);
      expect((await front.store.db.selectFrom("gift_record").select("id").where("sender_id", "=", viewer.userId).execute()).length).toBe(5);
      expect(await checkInvariants(front.store, front.hot, { quiescent: true })).toEqual([]);
      await s.server.stop();
    } finally {
      await deployment.destroy();
    }
  }, 60000);
});

describe.each(profilesUnderTest())("a hot wallet lost while sends were pending, on the %s profile", (profile) => {
  test("a recharge loads it from a row the pending debits have not reached: the database refuses the over-admission, the wallet is rebuilt, balances exact", async () => {
    const deployment = await createDeployment(profile);
    // The restarted process's hot store; Deps does not close a hot store it was given.
    let lostHot: Hot | undefined;
    try {
      // A front process with no consumer: its admitted sends stay pending (in the log, not in the database).
      const front = await deployment.spawn({ consumers: false });
      await seedRechargeCatalogue(front.store);
      const s = await serve(front);
      await s.client.call("POST", "/api/admin/gifts", { as: ADMIN, body: { giftId: 903, giftName: "star", price: 20 } });
      const room = await s.client.call<{ roomId: number }>("POST", "/api/rooms", { as: ANCHOR, body: { title: "lost wallet", type: 0 } });
      const viewer = { userId: 4444, role: "viewer" as const };
      const body = { giftId: 903, roomId: room.data.roomId, receiverId: ANCHOR.userId };
      await s.client.call("POST", "/api/admin/wallet/grant", { as: ADMIN, body: { userId: viewer.userId, amount: 100, requestId: "lost-grant" } });
      const early = await Promise.all(Array.from({ length: 4 }, () => s.client.call("POST", "/api/gifts/send", { as: viewer, body })));
      expect(early.map((r) => r.status)).toEqual([202, 202, 202, 202]);
      expect(await front.wallet.hotAvailable(viewer.userId)).toBe(20);
      await s.server.stop();
      // The process is gone: its workers (the redrive among them) must not
      // republish the early sends while the rest of the test runs.
      await front.close();

      // The wallet is lost with the 80 coins still pending: on Redis its key
      // (with the version marker it holds) is deleted; embedded, the process
      // restarts with an empty in-process hot store.
      let after: Deps;
      if (profile === "embedded") {
        lostHot = createLocalHot({ retryWindowSec: deployment.config.sendRetryWindowSec });
        after = await deployment.spawn({ consumers: false, hot: lostHot });
      } else {
        const raw = new Redis(services().redisUrl!);
        const key = `${deployment.config.namespace}:{w:${pendingBucket(viewer.userId)}}:wallet:${viewer.userId}`;
        expect(await raw.del(key)).toBe(1);
        await raw.quit();
        after = await deployment.spawn({ consumers: false });
      }
      expect(await after.wallet.hotAvailable(viewer.userId)).toBeNull();
      const s2 = await serve(after);

      // A recharge of 300 coins: the database holds 400 (the pending 80 not
      // yet debited), and with no marker left the credit loads the wallet
      // from that row: 400 where the truth is 320.
      const order = await createOrder(s2.client, viewer.userId, 6);
      expect(await notify(s2.client.url, deployment.config.paySecret, notificationBody(order.orderId, order.amount))).toMatchObject({ status: 200 });
      expect(await after.wallet.hotAvailable(viewer.userId)).toBe(400);
      const late = await Promise.all(Array.from({ length: 20 }, () => s2.client.call("POST", "/api/gifts/send", { as: viewer, body })));
      expect(late.every((r) => r.status === 202)).toBe(true);
      expect(await after.wallet.hotAvailable(viewer.userId)).toBe(0);
      await s2.server.stop();

      // A consumer of the restarted hot store decides all 24 sends against
      // the database: 20 debited (400 coins), 4 refused there, refunded.
      const consumer = await deployment.spawn(profile === "embedded" ? { hot: after.hot } : {});
      const db = after.store.db;
      const records = () => db.selectFrom("gift_record").select("id").where("sender_id", "=", viewer.userId).execute();
      const failures = () => db.selectFrom("gift_send_failure").select("reason").where("sender_id", "=", viewer.userId).execute();
      await eventually(async () => (await records()).length + (await failures()).length === 24, 30000);
      expect((await records()).length).toBe(20);
      expect((await failures()).map((f) => f.reason)).toEqual(Array(4).fill("insufficient_balance"));
      const account = await db.selectFrom("currency_account").select(["current_balance"]).where("user_id", "=", viewer.userId).executeTakeFirstOrThrow();
      expect(Number(account.current_balance)).toBe(0);
      const debited = await db.selectFrom("currency_trade").select("num").where("user_id", "=", viewer.userId).where("type", "=", TradeType.SEND_GIFT).execute();
      expect(debited.length).toBe(20);
      // The over-admitting wallet was dropped; the next send rebuilds it from the truth and is refused.
      await eventually(async () => (await consumer.wallet.hotAvailable(viewer.userId)) === null);
      const s3 = await serve(consumer);
      expect((await s3.client.call("POST", "/api/gifts/send", { as: viewer, body })).status).toBe(402);
      expect(await consumer.wallet.hotAvailable(viewer.userId)).toBe(0);
      await s3.server.stop();
      expect(await checkInvariants(consumer.store, consumer.hot, { quiescent: true })).toEqual([]);
    } finally {
      await deployment.destroy();
      await lostHot?.close();
    }
  }, 60000);
});
