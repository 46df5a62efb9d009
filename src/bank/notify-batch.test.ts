// Notifications decided together (notify.ts, "Batching"): concurrent
// notifications mixing repeats of one order, an order already paid, a
// refusal, several orders of one user and an order whose credit cannot be
// written each get their own answer, and the money comes out exact.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "kysely";
import { checkInvariants } from "../../scripts/check-invariants.ts";
import { createDeployment, eventually, type Deployment } from "../../test/harness.ts";
import { notificationBody } from "../../test/recharge.ts";
import { clusterAvailable, profilesUnderTest } from "../../test/services.ts";
import type { Deps } from "../deps.ts";
import { openMysqlStore, type Db } from "../store/store.ts";
import { TradeType } from "../wallet/types.ts";
import { seedRechargeCatalogue } from "./seed.ts";
import { signedHeaders } from "./signature.ts";
import { PayChannel, PaySource, rechargeBizId } from "./types.ts";

describe.each(profilesUnderTest())("batched recharge notifications on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let secret: string;

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    [deps, secret] = [await deployment.spawn({ consumers: false, sandboxWorker: false }), deployment.config.paySecret];
    await seedRechargeCatalogue(deps.store);
  });
  afterAll(() => deployment.destroy());

  /** A pay order of `userId` for the product, PAYING. */
  const createOrder = (userId: number, productId: number) => deps.bank.orders.create(userId, { productId, paySource: PaySource.USER_CENTER, payChannel: PayChannel.ALIPAY });

  /** Calls the handler in-process: calls made in one tick meet in one batch. */
  const handle = (body: string, headers = signedHeaders(secret, body)) =>
    deps.bank.notify.handle({ channel: "alipay", timestamp: headers["X-Pay-Timestamp"], signature: headers["X-Pay-Signature"], rawBody: body });

  const balance = async (userId: number) =>
    deps.store.db.selectFrom("currency_account").select(["current_balance", "total_charged"]).where("user_id", "=", userId).executeTakeFirst();

  test("a batch with repeats, an already paid order, refusals and one user's several orders: each answered, money exact", async () => {
    const [u1, u2, u3] = [5101, 5102, 5103];
    const a = await createOrder(u1, 6); // 300 coins
    const b = await createOrder(u1, 9); // 500 coins, same user as a
    const c = await createOrder(u2, 10); // 1000 coins
    const paid = await createOrder(u3, 7); // 350 coins, paid before the batch
    const refused = await createOrder(u3, 8); // 400 coins, notified with a wrong amount
    expect((await handle(notificationBody(paid.orderId, paid.amount))).reason).toBe("paid");
    const versionBefore = Number((await deps.store.db.selectFrom("currency_account").select("version").where("user_id", "=", u1).executeTakeFirst())?.version ?? 0);

    const answers = await Promise.all([
      handle(notificationBody(a.orderId, a.amount)),
      handle(notificationBody(b.orderId, b.amount)),
      handle(notificationBody(a.orderId, a.amount, { tradeNo: "second-payment" })),
      handle(notificationBody(c.orderId, c.amount)),
      handle(notificationBody(paid.orderId, paid.amount)),
      handle(notificationBody(refused.orderId, refused.amount + 1)),
      handle(notificationBody(c.orderId, c.amount)),
      handle(notificationBody(b.orderId, b.amount), signedHeaders("not-the-secret", notificationBody(b.orderId, b.amount))),
    ]);
    const codes = answers.map((r) => [r.status, r.text]);
    expect(codes).toEqual([
      [200, "success"],
      [200, "success"],
      [200, "success"],
      [200, "success"],
      [200, "success"],
      [400, "fail"],
      [200, "success"],
      [401, "fail"],
    ]);
    // Exactly one of the two notifications of a and of c paid it; the other is a repeat.
    expect([answers[0]!.reason, answers[2]!.reason].sort()).toEqual(["already paid", "paid"]);
    expect([answers[3]!.reason, answers[6]!.reason].sort()).toEqual(["already paid", "paid"]);
    expect(answers[1]!.reason).toBe("paid");
    expect(answers[4]!.reason).toBe("already paid");

    expect(await balance(u1)).toEqual({ current_balance: 800, total_charged: 800 });
    // Calls made in one tick are decided in one transaction: u1's two credits
    // went in with ONE balance update (one version step).
    const versionAfter = Number((await deps.store.db.selectFrom("currency_account").select("version").where("user_id", "=", u1).executeTakeFirst())!.version);
    expect(versionAfter).toBe(versionBefore + 1);
    expect(await balance(u2)).toEqual({ current_balance: 1000, total_charged: 1000 });
    expect(await balance(u3)).toEqual({ current_balance: 350, total_charged: 350 });
    const orders = await deps.store.db.selectFrom("pay_order").select(["order_id", "status"]).where("user_id", "in", [u1, u2, u3]).orderBy("order_id").execute();
    expect(Object.fromEntries(orders.map((o) => [o.order_id, Number(o.status)]))).toEqual({ [a.orderId]: 2, [b.orderId]: 2, [c.orderId]: 2, [paid.orderId]: 2, [refused.orderId]: 1 });
    const events = await deps.store.db.selectFrom("outbox").select("event_id").where("event_id", "like", "recharge-paid:%").execute();
    expect(events.map((e) => e.event_id).sort()).toEqual([a, b, c, paid].map((o) => `recharge-paid:${o.orderId}`).sort());
    // The hot store learned u1's credits: its first loaded the never-loaded wallet, the second added to it.
    expect(await deps.wallet.hotAvailable(u1)).toBe(800);
    await eventually(async () => (await checkInvariants(deps.store, deps.hot, { quiescent: true })).length === 0);
  });

  test("one notification whose credit cannot be written fails alone: the others of its batch are paid", async () => {
    const [u1, u2] = [5201, 5202];
    const good1 = await createOrder(u1, 6);
    const broken = await createOrder(u1, 8);
    const good2 = await createOrder(u2, 9);
    // The ledger already holds the broken order's credit while the order is unpaid:
    // paying it must change nothing (its transaction fails), and only it.
    await deps.store.transact((trx) =>
      deps.wallet.creditInTx(trx, { userId: 5299, amount: 1, type: TradeType.RECHARGE, bizId: rechargeBizId(broken.orderId), charged: true }),
    );

    // The route answers a thrown notification 500 fail (the provider retries).
    const answers = await Promise.allSettled([good1, broken, good2].map((o) => handle(notificationBody(o.orderId, o.amount))));
    expect(answers.map((r) => (r.status === "fulfilled" ? r.value.reason : String(r.reason)))).toEqual([
      "paid",
      expect.stringContaining("a ledger row exists for an order that was not PAYED"),
      "paid",
    ]);
    expect(await balance(u1)).toEqual({ current_balance: 300, total_charged: 300 });
    expect(await balance(u2)).toEqual({ current_balance: 500, total_charged: 500 });
    const status = await deps.store.db.selectFrom("pay_order").select("status").where("order_id", "=", broken.orderId).executeTakeFirst();
    expect(Number(status!.status)).toBe(1);
    const events = await deps.store.db.selectFrom("outbox").select("event_id").where("event_id", "=", `recharge-paid:${broken.orderId}`).execute();
    expect(events).toEqual([]);
  });

  test("a process closing while notifications wait for their batch: each is decided before the store closes, answered paid, coins once", async () => {
    const leaving = await deployment.spawn({ consumers: false, sandboxWorker: false });
    const users = [5301, 5302, 5303, 5304];
    const orders = await Promise.all(users.map((u) => createOrder(u, 6))); // 300 coins each
    const notify = (o: { orderId: string; amount: number }) => {
      const body = notificationBody(o.orderId, o.amount);
      const h = signedHeaders(secret, body);
      return leaving.bank.notify.handle({ channel: "alipay", timestamp: h["X-Pay-Timestamp"], signature: h["X-Pay-Signature"], rawBody: body });
    };
    // handle() queues synchronously; close() begins while they wait for their batch.
    const answers = Promise.all(orders.map(notify));
    await leaving.close();
    expect((await answers).map((a) => [a.status, a.reason])).toEqual(users.map(() => [200, "paid"]));
    for (const u of users) expect(await balance(u)).toEqual({ current_balance: 300, total_charged: 300 });
    const ledger = await deps.store.db.selectFrom("currency_trade").select("biz_id").where("biz_id", "in", orders.map((o) => rechargeBizId(o.orderId))).execute();
    expect(ledger.length).toBe(users.length);
  });
});

// A batch whose database session dies half built (the order rows already
// marked PAYED, the credit not yet written) — what a process killed
// mid-batch leaves to MySQL: its transaction is rolled back, so nothing of
// the batch exists; the notifications are decided again and paid once.
describe.skipIf(!clusterAvailable())("batched notifications under MySQL row locks, and a session killed half way (cluster profile)", () => {
  let deployment: Deployment;
  let deps: Deps;

  beforeAll(async () => {
    deployment = await createDeployment("cluster");
    deps = await deployment.spawn({ consumers: false, sandboxWorker: false });
    await seedRechargeCatalogue(deps.store);
  });
  afterAll(() => deployment.destroy());

  /** Runs `lock` (a FOR UPDATE) in a transaction of `side` and keeps it open until the returned release is called. */
  async function holdLock(side: ReturnType<typeof openMysqlStore>, lock: (trx: Db) => Promise<unknown>): Promise<() => Promise<void>> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const holder = side.db.transaction().execute(async (trx) => {
      await lock(trx);
      held();
      await released;
    });
    await holding;
    return async () => {
      release();
      await holder;
    };
  }

  const notify = (o: { orderId: string; amount: number }) => {
    const body = notificationBody(o.orderId, o.amount);
    const h = signedHeaders(deployment.config.paySecret, body);
    return deps.bank.notify.handle({ channel: "alipay", timestamp: h["X-Pay-Timestamp"], signature: h["X-Pay-Signature"], rawBody: body });
  };
  /** A session of this database running a statement that starts with `prefix`, once there is one. */
  const waitingOn = (side: ReturnType<typeof openMysqlStore>, prefix: string) =>
    eventually(async () => {
      const r = await sql<{ id: number; info: string }>`SELECT id, info FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE ${prefix + "%"}`.execute(side.db);
      return r.rows[0];
    });

  test("two batches in flight for one order: the second waits on the order's lock and answers already paid; the coins move once", async () => {
    const side = openMysqlStore(deployment.config.mysqlUrl!, 2);
    try {
      const o = await deps.bank.orders.create(5401, { productId: 6, paySource: PaySource.USER_CENTER, payChannel: PayChannel.ALIPAY });
      const release = await holdLock(side, (trx) => sql`SELECT order_id FROM pay_order WHERE order_id = ${o.orderId} FOR UPDATE`.execute(trx));
      const first = notify(o);
      await waitingOn(side, "select * from pay_order");
      const second = notify(o); // the next tick: another batch, in flight beside the first
      await eventually(async () => {
        const r = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE ${"select * from pay_order%"}`.execute(side.db);
        return Number(r.rows[0]!.n) === 2;
      });
      await release();
      const answers = await Promise.all([first, second]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(answers.map((a) => a.reason).sort()).toEqual(["already paid", "paid"]);
      const acc = await deps.store.db.selectFrom("currency_account").select(["current_balance", "total_charged"]).where("user_id", "=", 5401).executeTakeFirst();
      expect(acc).toEqual({ current_balance: 300, total_charged: 300 });
      await eventually(async () => (await checkInvariants(deps.store, deps.hot, { quiescent: true })).length === 0);
    } finally {
      await side.close();
    }
  });

  test("a batch does not wait on a lock held on another pay order", async () => {
    const side = openMysqlStore(deployment.config.mysqlUrl!, 2);
    try {
      const [locked, free] = [
        await deps.bank.orders.create(5402, { productId: 6, paySource: PaySource.USER_CENTER, payChannel: PayChannel.ALIPAY }),
        await deps.bank.orders.create(5403, { productId: 6, paySource: PaySource.USER_CENTER, payChannel: PayChannel.ALIPAY }),
      ];
      const release = await holdLock(side, (trx) => sql`SELECT order_id FROM pay_order WHERE order_id = ${locked.orderId} FOR UPDATE`.execute(trx));
      try {
        expect((await notify(free)).reason).toBe("paid");
      } finally {
        await release();
      }
      expect((await notify(locked)).reason).toBe("paid");
    } finally {
      await side.close();
    }
  });

  test("the killed batch leaves nothing; its notifications are paid exactly once", async () => {
    const secret = deployment.config.paySecret;
    const side = openMysqlStore(deployment.config.mysqlUrl!, 2);
    try {
      const users = [5301, 5302, 5303];
      const orders = await Promise.all(users.map((u) => deps.bank.orders.create(u, { productId: 6, paySource: PaySource.USER_CENTER, payChannel: PayChannel.ALIPAY })));
      await Promise.all(users.map((u) => deps.wallet.account(u)));
      // Another session holds user 5302's account row, so the batch stops
      // at the account upsert: its orders marked PAYED, nothing committed.
      const release = await holdLock(side, (trx) => sql`SELECT user_id FROM currency_account WHERE user_id = ${5302} FOR UPDATE`.execute(trx));

      const answers = Promise.all(orders.map((o) => {
        const body = notificationBody(o.orderId, o.amount);
        const h = signedHeaders(secret, body);
        return deps.bank.notify.handle({ channel: "alipay", timestamp: h["X-Pay-Timestamp"], signature: h["X-Pay-Signature"], rawBody: body });
      }));
      const waiting = await eventually(async () => {
        const r = await sql<{ id: number; info: string }>`SELECT id, info FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'insert into \`currency_account\`%'`.execute(side.db);
        return r.rows[0];
      });
      // It is the batch of all three: its account upsert carries three rows.
      expect(waiting.info).toContain("on duplicate key update");
      expect(waiting.info.split("), (").length).toBe(3);
      await sql`KILL ${sql.raw(String(Number(waiting.id)))}`.execute(side.db);
      await release();

      // The batch failed as a whole; each notification was decided again on its own.
      expect((await answers).map((a) => [a.status, a.reason])).toEqual([
        [200, "paid"],
        [200, "paid"],
        [200, "paid"],
      ]);
      for (const u of users) {
        const acc = await deps.store.db.selectFrom("currency_account").select(["current_balance", "total_charged"]).where("user_id", "=", u).executeTakeFirst();
        expect({ u, ...acc }).toEqual({ u, current_balance: 300, total_charged: 300 });
      }
      const ledger = await deps.store.db.selectFrom("currency_trade").select("biz_id").where("biz_id", "in", orders.map((o) => rechargeBizId(o.orderId))).execute();
      expect(ledger.length).toBe(3);
      await eventually(async () => (await checkInvariants(deps.store, deps.hot, { quiescent: true })).length === 0);
    } finally {
      await side.close();
    }
  });
});
