// The batched gift consumer, driven with hand-built batches on both profiles:
// duplicates and refusals in one batch, many users with many sends each, a
// transaction that fails with half its batch written, a send its sender
// cancelled, a claimed send whose consumer died, a late retry's second hold. Admissions are made through the
// wallet exactly as the send path makes them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { checkInvariants } from "../../scripts/check-invariants.ts";
import type { Deps } from "../deps.ts";
import type { LogMessage } from "../eventlog/port.ts";
import { TOPICS } from "../eventlog/topics.ts";
import { AccountStatus, TradeType } from "../wallet/types.ts";
import { PUSH_CHANNEL, type PushEnvelope } from "../ws/push.ts";
import { createDeployment, eventually, loadHotWallet, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest } from "../../test/services.ts";
import { GIFT_PUSH, LATE_RETRY_MARGIN_MS, NOT_DELIVERED } from "./consumer.ts";
import { giftBizId, type GiftSendEvent } from "./send.ts";

const PRICE = 20;
const ROOM_A = 7001;
const ROOM_B = 7002;
const RECEIVER = 500;

describe.each(profilesUnderTest())("the batched gift consumer on the %s profile", (profile) => {
  let deployment: Deployment;
  let deps: Deps;
  let nextUser = 60_000;
  let nextOffset = 0;
  const envelopes: PushEnvelope[] = [];

  beforeAll(async () => {
    // A short retry window, so the late-retry case can outlive an admission record.
    deployment = await createDeployment(profile, { OVATION_SEND_RETRY_WINDOW_SEC: "2" });
    // No consumer of its own: the tests hand batches to deps.gifts.consumer.
    deps = await deployment.spawn({ consumers: false });
    await deps.hot.bus.subscribe(PUSH_CHANNEL, (raw) => envelopes.push(JSON.parse(raw) as PushEnvelope));
  });

  afterAll(async () => {
    await deployment.destroy();
  });

  async function userWith(coins: number): Promise<number> {
    const userId = ++nextUser;
    await deps.wallet.grant({ userId, amount: coins, requestId: `grant-${userId}` });
    return userId;
  }

  /** Admits a send as the send path does and returns the event it would publish. */
  async function admitted(userId: number, roomId: number, requestId = `r-${userId}-${Math.random().toString(36).slice(2)}`): Promise<GiftSendEvent> {
    const r = await deps.wallet.admit({ userId, admissionId: requestId, amount: PRICE, fingerprint: `fp-${roomId}` });
    expect(r.kind).toBe("admitted");
    return event(userId, roomId, requestId);
  }

  function event(userId: number, roomId: number, requestId: string, acceptedAt = Date.now()): GiftSendEvent {
    return { bizId: giftBizId(userId, requestId), requestId, senderId: userId, receiverId: RECEIVER, roomId, giftId: 900, giftName: "crown", price: PRICE, svgaUrl: "", acceptedAt };
  }

  const asBatch = (events: GiftSendEvent[]): LogMessage[] =>
    events.map((e) => ({ topic: TOPICS.sendGift, partition: 0, offset: String(++nextOffset), key: String(e.senderId), value: JSON.stringify(e) }));

  const db = () => deps.store.db;
  const balance = async (userId: number) => (await deps.wallet.account(userId)).balance;
  const ledger = (userId: number) => db().selectFrom("currency_trade").selectAll().where("user_id", "=", userId).where("type", "=", TradeType.SEND_GIFT).execute();
  const records = (userId: number) => db().selectFrom("gift_record").selectAll().where("sender_id", "=", userId).orderBy("id").execute();
  const failures = (userId: number) => db().selectFrom("gift_send_failure").selectAll().where("sender_id", "=", userId).execute();
  const state = async (e: GiftSendEvent) => (await deps.wallet.admission(e.senderId, e.requestId))?.state;
  const giftsPushedTo = (roomId: number, senders: number[]) =>
    envelopes.filter((env) => "room" in env.target && env.target.room === roomId && env.messages.some((m) => senders.includes((m.data as { senderId: number }).senderId)));

  /** Makes the hot store believe in `hot` coins while the database holds `truth` (an over-admitting hot store). */
  async function plantDrift(userId: number, hot: number, truth: number): Promise<void> {
    const setBalance = (coins: number) => db().updateTable("currency_account").set({ current_balance: coins }).where("user_id", "=", userId).execute();
    await deps.wallet.dropHot(userId);
    await setBalance(hot);
    await loadHotWallet(deps, userId);
    await setBalance(truth);
  }

  test("a batch with a duplicate, a frozen account and an over-admitted send: each decided once, in order", async () => {
    const alice = await userWith(100);
    const bob = await userWith(100);
    const carol = await userWith(40);
    const a1 = await admitted(alice, ROOM_A);
    const a2 = await admitted(alice, ROOM_A);
    const b1 = await admitted(bob, ROOM_A);
    await db().updateTable("currency_account").set({ status: AccountStatus.FROZEN }).where("user_id", "=", bob).execute();
    await plantDrift(carol, 1000, 40);
    const [c1, c2, c3] = [await admitted(carol, ROOM_B), await admitted(carol, ROOM_B), await admitted(carol, ROOM_B)];
    const batch = asBatch([a1, c1, a2, a1, b1, c2, c3]);

    await deps.gifts.consumer.handle(batch);

    expect((await records(alice)).map((r) => r.request_id)).toEqual([a1.requestId, a2.requestId]);
    expect((await records(carol)).map((r) => r.request_id)).toEqual([c1.requestId, c2.requestId]);
    expect(await records(bob)).toEqual([]);
    expect((await failures(bob)).map((f) => f.reason)).toEqual(["account_frozen"]);
    expect((await failures(carol)).map((f) => [f.request_id, f.reason])).toEqual([[c3.requestId, "insufficient_balance"]]);
    expect([await balance(alice), await balance(bob), await balance(carol)]).toEqual([60, 100, 0]);
    expect((await ledger(alice)).map((t) => Number(t.num))).toEqual([-PRICE, -PRICE]);
    expect((await ledger(carol)).length).toBe(2);
    expect(await Promise.all([a1, a2, b1, c1, c2, c3].map(state))).toEqual(["settled", "settled", "refunded", "settled", "settled", "refunded"]);
    // The over-admitting hot wallet was dropped for a rebuild; the frozen one got its coins back.
    expect(await deps.wallet.hotAvailable(carol)).toBeNull();
    expect(await deps.wallet.hotAvailable(bob)).toBe(100);

    // One publish per room, the duplicate pushed once; each failure to its sender only.
    const roomA = await eventually(() => (giftsPushedTo(ROOM_A, [alice]).length > 0 ? giftsPushedTo(ROOM_A, [alice]) : null));
    const roomB = await eventually(() => (giftsPushedTo(ROOM_B, [carol]).length > 0 ? giftsPushedTo(ROOM_B, [carol]) : null));
    expect(roomA.length).toBe(1);
    expect(roomA[0]!.messages.map((m) => (m.data as { requestId: string }).requestId)).toEqual([a1.requestId, a2.requestId]);
    expect(roomA[0]!.messages.every((m) => m.type === "gift" && m.bizCode === GIFT_PUSH.SUCCESS)).toBe(true);
    expect(roomB.length).toBe(1);
    expect(roomB[0]!.messages.map((m) => (m.data as { requestId: string }).requestId)).toEqual([c1.requestId, c2.requestId]);
    const failPushes = await eventually(() => {
      const found = envelopes.filter((env) => "user" in env.target && [bob, carol].includes(env.target.user));
      return found.length >= 2 ? found : null;
    });
    expect(failPushes.map((env) => [(env.target as { user: number }).user, env.messages.map((m) => (m.data as { reason: string }).reason)]).sort()).toEqual(
      [
        [bob, ["account_frozen"]],
        [carol, ["insufficient_balance"]],
      ].sort(),
    );

    // Redelivered whole (a crash before the offset commit): nothing moves again.
    await deps.gifts.consumer.handle(batch);
    expect([await balance(alice), await balance(bob), await balance(carol)]).toEqual([60, 100, 0]);
    expect([(await ledger(alice)).length, (await ledger(carol)).length, (await failures(bob)).length, (await failures(carol)).length]).toEqual([2, 2, 1, 1]);
    await db().updateTable("currency_account").set({ status: AccountStatus.ACTIVE }).where("user_id", "=", bob).execute();
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("several users with several sends each, interleaved in one batch: exact balances, ledger rows and records", async () => {
    const users = [await userWith(100), await userWith(100), await userWith(100)];
    const sends: GiftSendEvent[] = [];
    for (let round = 0; round < 4; round++) for (const u of users) sends.push(await admitted(u, ROOM_A));

    await deps.gifts.consumer.handle(asBatch(sends));

    for (const u of users) {
      expect(await balance(u)).toBe(20);
      expect(await deps.wallet.hotAvailable(u)).toBe(20);
      expect((await ledger(u)).map((t) => Number(t.num))).toEqual([-PRICE, -PRICE, -PRICE, -PRICE]);
      expect((await records(u)).map((r) => r.request_id)).toEqual(sends.filter((e) => e.senderId === u).map((e) => e.requestId));
      expect((await records(u)).every((r) => Number(r.price) === PRICE && Number(r.receiver_id) === RECEIVER)).toBe(true);
    }
    expect((await Promise.all(sends.map(state))).every((s) => s === "settled")).toBe(true);
    const pushed = await eventually(() => (giftsPushedTo(ROOM_A, users).length > 0 ? giftsPushedTo(ROOM_A, users) : null));
    expect(pushed.length).toBe(1);
    expect(pushed[0]!.messages.map((m) => (m.data as { requestId: string }).requestId)).toEqual(sends.map((e) => e.requestId));
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("two partitions' batches handled at once, several distinct totals and a sender in both: exact money, each send decided once", async () => {
    // The cluster profile handles its partitions' batches concurrently; a sender
    // normally has one partition, but even when not the account lock keeps it exact.
    const [a, b, c] = [await userWith(100), await userWith(100), await userWith(100)];
    const d = await userWith(60);
    await plantDrift(d, 1000, 60); // d is admitted four sends, the database holds coins for three
    const first = [await admitted(a, ROOM_A), await admitted(b, ROOM_A), await admitted(d, ROOM_A), await admitted(b, ROOM_A), await admitted(d, ROOM_A), await admitted(b, ROOM_A)];
    const second = [await admitted(c, ROOM_B), await admitted(d, ROOM_B), await admitted(c, ROOM_B), await admitted(d, ROOM_B), await admitted(c, ROOM_B)];
    const batches = [asBatch(first), asBatch(second)];

    await Promise.all(batches.map((batch) => deps.gifts.consumer.handle(batch)));

    // Totals per batch: a 20, b 60, c 60, d 40 or 20 — one grouped update per distinct total.
    expect([await balance(a), await balance(b), await balance(c), await balance(d)]).toEqual([80, 40, 40, 0]);
    expect([(await ledger(a)).length, (await ledger(b)).length, (await ledger(c)).length, (await ledger(d)).length]).toEqual([1, 3, 3, 3]);
    expect((await records(b)).map((r) => r.request_id)).toEqual([first[1]!, first[3]!, first[5]!].map((e) => e.requestId));
    expect((await failures(d)).map((f) => f.reason)).toEqual(["insufficient_balance"]);
    const dStates = await Promise.all([first[2]!, first[4]!, second[1]!, second[3]!].map(state));
    expect(dStates.sort()).toEqual(["refunded", "settled", "settled", "settled"]);

    // Both redelivered at once: nothing moves again.
    await Promise.all(batches.map((batch) => deps.gifts.consumer.handle(batch)));
    expect([await balance(a), await balance(b), await balance(c), await balance(d)]).toEqual([80, 40, 40, 0]);
    expect([(await ledger(d)).length, (await failures(d)).length]).toEqual([3, 1]);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("a transaction that fails with half its batch written leaves nothing; the redelivered batch is decided once", async () => {
    let failing = true;
    let attempts = 0;
    const crashing = await deployment.spawn({
      consumers: false,
      giftConsumerHooks: {
        beforeCommit: async (outcomes) => {
          attempts++;
          // Every row of the batch is written inside the transaction by now.
          expect(outcomes.length).toBe(4);
          if (failing) throw new Error("connection lost before COMMIT");
        },
      },
    });
    const u = await userWith(60);
    const v = await userWith(20);
    const sends = [await admitted(u, ROOM_A), await admitted(v, ROOM_A), await admitted(u, ROOM_A), await admitted(u, ROOM_A)];
    // v's only send is refused by the database: a failure row in the same batch.
    await db().updateTable("currency_account").set({ status: AccountStatus.FROZEN }).where("user_id", "=", v).execute();
    const batch = asBatch(sends);

    await expect(crashing.gifts.consumer.handle(batch)).rejects.toThrow("connection lost before COMMIT");
    expect([(await ledger(u)).length, (await records(u)).length, (await failures(v)).length]).toEqual([0, 0, 0]);
    expect([await balance(u), await balance(v)]).toEqual([60, 20]);
    // Claimed before the transaction, and still claimed (unfinished) after it failed.
    expect(await Promise.all(sends.map(state))).toEqual(["claimed", "claimed", "claimed", "claimed"]);

    failing = false;
    await crashing.gifts.consumer.handle(batch);
    await crashing.gifts.consumer.handle(batch); // and once more, as after a crash before the offset commit
    expect(attempts).toBe(3);
    expect([await balance(u), await balance(v)]).toEqual([0, 20]);
    expect((await ledger(u)).length).toBe(3);
    expect((await records(u)).length).toBe(3);
    expect((await failures(v)).map((f) => f.reason)).toEqual(["account_frozen"]);
    expect(await Promise.all(sends.map(state))).toEqual(["settled", "refunded", "settled", "settled"]);
    await db().updateTable("currency_account").set({ status: AccountStatus.ACTIVE }).where("user_id", "=", v).execute();
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("the hot store failing during the claim, while the transaction reads: nothing written, the redelivered batch is decided once", async () => {
    // The claim runs beside the transaction's first reads and is awaited before
    // any decision; this one fails after those reads have started.
    let claimFails = true;
    const coins = new Proxy(deps.hot.coins, {
      get(target, name) {
        if (name === "claimAdmissions" && claimFails) {
          return async () => {
            claimFails = false;
            await Bun.sleep(20);
            throw new Error("hot store lost during the claim");
          };
        }
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const flaky = await deployment.spawn({ consumers: false, hot: { ...deps.hot, coins } });
    const u = await userWith(60);
    const sends = [await admitted(u, ROOM_A), await admitted(u, ROOM_A)];
    const batch = asBatch(sends);

    await expect(flaky.gifts.consumer.handle(batch)).rejects.toThrow("hot store lost during the claim");
    expect([await balance(u), (await ledger(u)).length, (await records(u)).length]).toEqual([60, 0, 0]);
    expect(await Promise.all(sends.map(state))).toEqual(["pending", "pending"]);

    await flaky.gifts.consumer.handle(batch);
    expect([await balance(u), (await ledger(u)).length, (await records(u)).length]).toEqual([20, 2, 2]);
    expect(await Promise.all(sends.map(state))).toEqual(["settled", "settled"]);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("the settle failing after the commit with part of the batch settled: the redelivered batch settles the rest, nothing debited twice", async () => {
    let settleFails = true;
    const coins = new Proxy(deps.hot.coins, {
      get(target, name) {
        if (name === "settleDebits" && settleFails) {
          return async (refs: { userId: number; admissionId: string }[]) => {
            settleFails = false;
            await target.settleDebits(refs.slice(0, 1));
            throw new Error("hot store lost during the settle");
          };
        }
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const flaky = await deployment.spawn({ consumers: false, hot: { ...deps.hot, coins } });
    const [u, v] = [await userWith(60), await userWith(60)];
    const sends = [await admitted(u, ROOM_A), await admitted(v, ROOM_A)];
    const batch = asBatch(sends);

    await expect(flaky.gifts.consumer.handle(batch)).rejects.toThrow("hot store lost during the settle");
    // Committed: both debited; the first admission settled, the second still claimed.
    expect([await balance(u), await balance(v)]).toEqual([40, 40]);
    expect(await Promise.all(sends.map(state))).toEqual(["settled", "claimed"]);

    await flaky.gifts.consumer.handle(batch);
    expect([await balance(u), await balance(v)]).toEqual([40, 40]);
    expect([(await ledger(u)).length, (await ledger(v)).length]).toEqual([1, 1]);
    expect(await Promise.all(sends.map(state))).toEqual(["settled", "settled"]);
    expect([await deps.wallet.hotAvailable(u), await deps.wallet.hotAvailable(v)]).toEqual([40, 40]);
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("killed with a half-built batch: the group's next process gets it from the log and decides it once", async () => {
    // Process A writes the batch's rows, then dies before COMMIT, every time.
    let attempts = 0;
    const a = await deployment.spawn({
      giftConsumerHooks: {
        beforeCommit: async () => {
          attempts++;
          throw new Error("killed before COMMIT");
        },
      },
    });
    const u = await userWith(100);
    const sends = [await admitted(u, ROOM_A), await admitted(u, ROOM_A), await admitted(u, ROOM_A)];
    await a.events.publish(
      TOPICS.sendGift,
      sends.map((e) => ({ key: String(e.senderId), value: JSON.stringify(e) })),
    );
    await eventually(() => attempts >= 1, 30_000);
    await a.close();
    expect((await ledger(u)).length).toBe(0);

    await deployment.spawn();
    await eventually(async () => (await Promise.all(sends.map(state))).every((s) => s === "settled"), 30_000);
    expect(await balance(u)).toBe(40);
    expect((await ledger(u)).length).toBe(3);
    expect((await records(u)).length).toBe(3);
  }, 60_000);

  test("a send whose admission its sender cancelled is a not_delivered failure, never debited, beside a normal one", async () => {
    const u = await userWith(40);
    const cancelled = await admitted(u, ROOM_A);
    expect(await deps.wallet.cancel(u, cancelled.requestId)).toBe("refunded");
    const kept = await admitted(u, ROOM_A);

    await deps.gifts.consumer.handle(asBatch([cancelled, kept]));

    expect((await failures(u)).map((f) => [f.request_id, f.reason])).toEqual([[cancelled.requestId, NOT_DELIVERED]]);
    expect((await records(u)).map((r) => r.request_id)).toEqual([kept.requestId]);
    expect(await balance(u)).toBe(20);
    expect(await deps.wallet.hotAvailable(u)).toBe(20);
    expect(await deps.gifts.history.sendStatus(u, cancelled.requestId)).toEqual({ requestId: cancelled.requestId, status: "failed", reason: NOT_DELIVERED });
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("a claimed send whose consumer died before its commit: shown accepted, then the next delivery claims it again and debits it once", async () => {
    const u = await userWith(40);
    const send = await admitted(u, ROOM_A);
    // A consumer claimed it (D) and died before its transaction committed.
    expect(await deps.wallet.claim([{ userId: u, admissionId: send.requestId }])).toEqual(["claimed"]);
    expect(await deps.gifts.history.sendStatus(u, send.requestId)).toEqual({ requestId: send.requestId, status: "accepted" });
    // The sender's cancel can no longer take it.
    expect(await deps.wallet.cancel(u, send.requestId)).toBe("claimed");
    expect(await deps.wallet.hotAvailable(u)).toBe(20);

    await deps.gifts.consumer.handle(asBatch([send]));
    await deps.gifts.consumer.handle(asBatch([send]));

    expect(await state(send)).toBe("settled");
    expect((await ledger(u)).length).toBe(1);
    expect(await balance(u)).toBe(20);
    expect(await deps.wallet.cancel(u, send.requestId)).toBe("settled");
    expect(await deps.gifts.history.sendStatus(u, send.requestId)).toEqual({ requestId: send.requestId, status: "success" });
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  });

  test("a late retry admitted again after its admission expired: the second hold is refunded, the send stays one success", async () => {
    const u = await userWith(100);
    const first = await admitted(u, ROOM_A, `late-${u}`);
    await deps.gifts.consumer.handle(asBatch([first]));
    expect(await balance(u)).toBe(80);
    // The admission record expires; the client retries the same requestId and is admitted again.
    await eventually(async () => (await deps.wallet.admission(u, first.requestId)) === null, 10_000);
    const again = await deps.wallet.admit({ userId: u, admissionId: first.requestId, amount: PRICE, fingerprint: `fp-${ROOM_A}` });
    expect(again.kind).toBe("admitted");
    expect(await deps.wallet.hotAvailable(u)).toBe(60);
    const retry = event(u, ROOM_A, first.requestId, Date.now() + LATE_RETRY_MARGIN_MS + 1_000);

    await deps.gifts.consumer.handle(asBatch([retry]));

    expect(await balance(u)).toBe(80);
    expect(await deps.wallet.hotAvailable(u)).toBe(80);
    expect((await ledger(u)).length).toBe(1);
    expect((await records(u)).length).toBe(1);
    expect(await state(retry)).toBe("refunded");
    expect((await deps.gifts.history.sendStatus(u, first.requestId)).status).toBe("success");
    expect(await checkInvariants(deps.store, deps.hot, { quiescent: true })).toEqual([]);
  }, 30_000);
});
