// The coins contract (port.ts) on every backend: the in-process maps, a
// standalone Redis and a Redis Cluster. Outcomes are asserted under real
// concurrency (parallel calls share one connection and interleave in Redis),
// so atomicity bugs show as wrong counts, not as flakes.
import { beforeAll, describe, expect, test } from "bun:test";
import { Cluster } from "ioredis";
import { describeHotContract, range, sleep } from "../../../test/hot-backends.ts";
import { pendingBucket, type HotCoins } from "./port.ts";
import { namespacedKey } from "../redis/connection.ts";
import { coinKeys } from "./redis.ts";

/** One admission through the batch calls (what a consumer batch of one does). */
const settleOne = async (coins: HotCoins, userId: number, admissionId: string) => (await coins.settleDebits([{ userId, admissionId }]))[0]!;
const claimOne = async (coins: HotCoins, userId: number, admissionId: string) => (await coins.claimAdmissions([{ userId, admissionId }]))[0]!;

describeHotContract("HotCoins contract", (ctx) => {
  const { newUser } = ctx;
  let coins: HotCoins;
  beforeAll(() => {
    coins = ctx.hot().coins;
  });

  describe("coins", () => {
    test("a missing wallet is unloaded until loaded; a second load finds it present", async () => {
      const u = newUser();
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.admitDebit({ userId: u, admissionId: "a1", amount: 5, fingerprint: "f", payload: "e" })).toEqual({ kind: "unloaded" });
      expect(await coins.getAdmission(u, "a1")).toBeNull();
      expect(await coins.loadAvailable(u, 100, 1)).toBe("loaded");
      expect(await coins.getAvailable(u)).toBe(100);
      expect(await coins.loadAvailable(u, 999, 2)).toBe("present");
      expect(await coins.getAvailable(u)).toBe(100);
    });

    test("100 parallel debits of 20 against 200: exactly 10 admitted, 90 insufficient, available 0", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 200, 1);
      const results = await Promise.all(
        range(100).map((i) => coins.admitDebit({ userId: u, admissionId: `send-${i}`, amount: 20, fingerprint: `gift:${i}`, payload: "e" })),
      );
      const admitted = results.filter((r) => r.kind === "admitted");
      const insufficient = results.filter((r) => r.kind === "insufficient");
      expect(admitted.length).toBe(10);
      expect(insufficient.length).toBe(90);
      // Each admission saw a distinct balance: no two debits read the same value.
      expect(admitted.map((r) => (r.kind === "admitted" ? r.available : -1)).sort((a, b) => a - b)).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160, 180]);
      for (const r of insufficient) expect(r).toEqual({ kind: "insufficient", available: 0, knownVersion: 1 });
      expect(await coins.getAvailable(u)).toBe(0);
      const states = await Promise.all(range(100).map((i) => coins.getAdmission(u, `send-${i}`)));
      expect(states.filter((s) => s?.state === "pending").length).toBe(10);
      expect(states.filter((s) => s === null).length).toBe(90);
    });

    test("the same admission id: duplicate with the same fingerprint, conflict with another, one debit", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      const req = { userId: u, admissionId: "req-1", amount: 30, fingerprint: "gift:22:room:7", payload: "e" };
      expect(await coins.admitDebit(req)).toEqual({ kind: "admitted", available: 70 });
      expect(await coins.admitDebit(req)).toEqual({ kind: "duplicate", state: "pending", payload: "e" });
      expect(await coins.admitDebit({ ...req, fingerprint: "gift:25:room:7" })).toEqual({ kind: "conflict" });
      expect(await coins.admitDebit({ ...req, amount: 31, fingerprint: "other" })).toEqual({ kind: "conflict" });
      expect(await coins.getAvailable(u)).toBe(70);
      expect(await settleOne(coins, u, "req-1")).toBe(true);
      expect(await coins.admitDebit(req)).toEqual({ kind: "duplicate", state: "settled" });
      expect(await coins.getAdmission(u, "req-1")).toEqual({ state: "settled", fingerprint: "gift:22:room:7" });
      expect(await coins.getAvailable(u)).toBe(70);
    });

    test("20 parallel admissions with one id debit once", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      const req = { userId: u, admissionId: "retry", amount: 10, fingerprint: "f", payload: "e" };
      const results = await Promise.all(range(20).map(() => coins.admitDebit(req)));
      expect(results.filter((r) => r.kind === "admitted").length).toBe(1);
      expect(results.filter((r) => r.kind === "duplicate").length).toBe(19);
      expect(await coins.getAvailable(u)).toBe(90);
    });

    test("the admission check comes before the wallet: a retry after a drop still finds its outcome", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 50, 1);
      const req = { userId: u, admissionId: "x", amount: 10, fingerprint: "f", payload: "e" };
      await coins.admitDebit(req);
      await coins.dropWallet(u);
      expect(await coins.admitDebit(req)).toEqual({ kind: "duplicate", state: "pending", payload: "e" });
      expect(await coins.admitDebit({ ...req, admissionId: "y" })).toEqual({ kind: "unloaded" });
    });

    test("an insufficient attempt is not remembered: the same id succeeds after a credit", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 5, 1);
      const req = { userId: u, admissionId: "late", amount: 10, fingerprint: "f", payload: "e" };
      expect(await coins.admitDebit(req)).toEqual({ kind: "insufficient", available: 5, knownVersion: 1 });
      expect(await coins.getAdmission(u, "late")).toBeNull();
      await coins.creditAvailable(u, 5, { balance: 10, version: 2 });
      expect(await coins.admitDebit(req)).toEqual({ kind: "admitted", available: 0 });
    });

    test("an insufficient answer tells the newest account version the wallet reflects", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 0, 3);
      const req = { userId: u, admissionId: "v", amount: 10, fingerprint: "f", payload: "e" };
      expect(await coins.admitDebit(req)).toMatchObject({ kind: "insufficient", knownVersion: 3 });
      await coins.creditAvailable(u, 4, { balance: 4, version: 7 });
      expect(await coins.admitDebit(req)).toEqual({ kind: "insufficient", available: 4, knownVersion: 7 });
    });

    test("settle moves pending to settled once and leaves available alone", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "s", amount: 40, fingerprint: "f", payload: "e" });
      const settles = await Promise.all(range(20).map(() => settleOne(coins, u, "s")));
      expect(settles.filter(Boolean).length).toBe(1);
      expect(await settleOne(coins, u, "s")).toBe(false);
      expect(await coins.refundDebit(u, "s")).toBe(false);
      expect(await coins.getAvailable(u)).toBe(60);
      expect((await coins.getAdmission(u, "s"))?.state).toBe("settled");
    });

    test("20 parallel refunds return the money exactly once", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "r", amount: 40, fingerprint: "f", payload: "e" });
      expect(await coins.getAvailable(u)).toBe(60);
      const refunds = await Promise.all(range(20).map(() => coins.refundDebit(u, "r")));
      expect(refunds.filter(Boolean).length).toBe(1);
      expect(await coins.getAvailable(u)).toBe(100);
      expect(await coins.refundDebit(u, "r")).toBe(false);
      expect(await settleOne(coins, u, "r")).toBe(false);
      expect(await coins.getAvailable(u)).toBe(100);
      expect(await coins.getAdmission(u, "r")).toEqual({ state: "refunded", fingerprint: "f" });
    });

    test("settle and refund racing on one admission: exactly one wins", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "race", amount: 25, fingerprint: "f", payload: "e" });
      const outcomes = await Promise.all(range(20).map((i) => (i % 2 ? settleOne(coins, u, "race") : coins.refundDebit(u, "race"))));
      expect(outcomes.filter(Boolean).length).toBe(1);
      const state = (await coins.getAdmission(u, "race"))?.state;
      expect(await coins.getAvailable(u)).toBe(state === "refunded" ? 100 : 75);
    });

    test("claim: pending → claimed once; claiming again, or a finished or unknown admission, changes nothing", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "c", amount: 30, fingerprint: "f", payload: "e" });
      const claims = await Promise.all(range(10).map(() => claimOne(coins, u, "c")));
      expect(claims).toEqual(range(10).map(() => "claimed"));
      expect(await coins.getAdmission(u, "c")).toEqual({ state: "claimed", amount: 30, fingerprint: "f" });
      expect(await coins.getAvailable(u)).toBe(70);
      // A retried send finds it unfinished, its event still there to re-publish.
      expect(await coins.admitDebit({ userId: u, admissionId: "c", amount: 30, fingerprint: "f", payload: "e" })).toEqual({ kind: "duplicate", state: "claimed", payload: "e" });
      await coins.admitDebit({ userId: u, admissionId: "done", amount: 10, fingerprint: "f", payload: "e" });
      await settleOne(coins, u, "done");
      expect(await claimOne(coins, u, "done")).toBe("settled");
      expect(await claimOne(coins, u, "nope")).toBeNull();
      expect(await coins.getAdmission(u, "nope")).toBeNull();
    });

    test("the sender's cancel (onlyPending) refunds a pending admission but is refused once it is claimed", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      for (const id of ["p", "c"]) await coins.admitDebit({ userId: u, admissionId: id, amount: 20, fingerprint: "f", payload: "e" });
      expect(await claimOne(coins, u, "c")).toBe("claimed");
      const before = await coins.countPending();
      expect(await coins.refundDebit(u, "c", { onlyPending: true })).toBe(false);
      expect(await coins.getAdmission(u, "c")).toEqual({ state: "claimed", amount: 20, fingerprint: "f" });
      expect(await coins.getAvailable(u)).toBe(60);
      // The refused cancel leaves the claimed admission in the index: still unfinished, still re-drivable.
      expect(await coins.countPending()).toBe(before);
      expect((await coins.claimStalePending(pendingBucket(u), 0, 100)).filter((x) => x.userId === u).map((x) => x.admissionId).sort()).toEqual(["c", "p"]);
      expect(await coins.refundDebit(u, "p", { onlyPending: true })).toBe(true);
      expect(await coins.getAvailable(u)).toBe(80);
      expect(await coins.countPending()).toBe(before - 1);
      // A claim after the cancel finds it refunded: the consumer will not debit it.
      expect(await claimOne(coins, u, "p")).toBe("refunded");
    });

    test("settle and refund finish a claimed admission like a pending one, exactly once", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      for (const id of ["s", "r"]) {
        await coins.admitDebit({ userId: u, admissionId: id, amount: 25, fingerprint: "f", payload: "e" });
        await claimOne(coins, u, id);
      }
      const before = await coins.countPending();
      const settles = await Promise.all(range(10).map(() => settleOne(coins, u, "s")));
      expect(settles.filter(Boolean).length).toBe(1);
      const refunds = await Promise.all(range(10).map(() => coins.refundDebit(u, "r")));
      expect(refunds.filter(Boolean).length).toBe(1);
      expect(await coins.getAdmission(u, "s")).toEqual({ state: "settled", fingerprint: "f" });
      expect(await coins.getAdmission(u, "r")).toEqual({ state: "refunded", fingerprint: "f" });
      expect(await coins.getAvailable(u)).toBe(75);
      expect(await coins.countPending()).toBe(before - 2);
      expect(await coins.refundDebit(u, "s", { onlyPending: true })).toBe(false);
      expect(await claimOne(coins, u, "s")).toBe("settled");
    });

    test("batched claim and settle over several buckets: a result per ref in order, each admission finished exactly once", async () => {
      const [a, b, c] = [newUser(), newUser(), newUser()];
      expect(new Set([a, b, c].map(pendingBucket)).size).toBe(3);
      for (const u of [a, b, c]) await coins.loadAvailable(u, 100, 1);
      const admit = (u: number, id: string) => coins.admitDebit({ userId: u, admissionId: id, amount: 10, fingerprint: "f", payload: "e" });
      for (const [u, id] of [[a, "p"], [a, "c"], [a, "s"], [b, "p"], [c, "r"]] as const) await admit(u, id);
      await claimOne(coins, a, "c");
      await settleOne(coins, a, "s");
      await coins.refundDebit(c, "r");
      const refs = [
        { userId: b, admissionId: "p" },
        { userId: a, admissionId: "s" },
        { userId: a, admissionId: "x" },
        { userId: c, admissionId: "r" },
        { userId: a, admissionId: "c" },
        { userId: a, admissionId: "p" },
      ];
      expect(await coins.claimAdmissions(refs)).toEqual(["claimed", "settled", null, "refunded", "claimed", "claimed"]);
      expect(await coins.claimAdmissions([])).toEqual([]);
      const before = await coins.countPending();
      const rounds = await Promise.all(range(5).map(() => coins.settleDebits(refs)));
      // Each of the three unfinished admissions (b/p, a/c, a/p) settled by exactly one round.
      expect(refs.map((_, i) => rounds.filter((r) => r[i]).length)).toEqual([1, 0, 0, 0, 1, 1]);
      for (const r of rounds) expect(r.length).toBe(refs.length);
      for (const [u, id] of [[b, "p"], [a, "c"], [a, "p"], [a, "s"]] as const) expect(await coins.getAdmission(u, id)).toEqual({ state: "settled", fingerprint: "f" });
      expect(await coins.getAdmission(c, "r")).toEqual({ state: "refunded", fingerprint: "f" });
      expect(await coins.getAdmission(a, "x")).toBeNull();
      expect(await coins.countPending()).toBe(before - 3);
      expect([await coins.getAvailable(a), await coins.getAvailable(b), await coins.getAvailable(c)]).toEqual([70, 90, 100]);
      expect(await coins.settleDebits([])).toEqual([]);
    });

    test("unknown admissions: settle and refund answer false, getAdmission null", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 10, 1);
      expect(await settleOne(coins, u, "nope")).toBe(false);
      expect(await coins.refundDebit(u, "nope")).toBe(false);
      expect(await coins.getAdmission(u, "nope")).toBeNull();
      expect(await coins.getAvailable(u)).toBe(10);
    });

    test("settled and refunded admissions are forgotten after the retry window; pending ones are kept", async () => {
      const short = await ctx.open({ retryWindowSec: 1 });
      try {
        const u = newUser();
        await short.coins.loadAvailable(u, 100, 1);
        for (const id of ["a", "b", "kept"]) await short.coins.admitDebit({ userId: u, admissionId: id, amount: 10, fingerprint: "f", payload: "e" });
        await settleOne(short.coins, u, "a");
        await short.coins.refundDebit(u, "b");
        await sleep(1150);
        expect(await short.coins.getAdmission(u, "a")).toBeNull();
        expect(await short.coins.getAdmission(u, "b")).toBeNull();
        expect(await short.coins.getAdmission(u, "kept")).toEqual({ state: "pending", amount: 10, fingerprint: "f" });
        // After the window the id is new again; the ledger's unique business id is the guard from here on.
        expect(await short.coins.admitDebit({ userId: u, admissionId: "a", amount: 10, fingerprint: "f", payload: "e" })).toEqual({ kind: "admitted", available: 70 });
      } finally {
        await short.close();
      }
    });

    test("the rate limit is counted first, on every call, per user and name; a limited call changes nothing", async () => {
      const [u, other] = [newUser(), newUser()];
      await coins.loadAvailable(u, 100, 1);
      await coins.loadAvailable(other, 100, 1);
      const rateLimit = { name: "send", limit: 3, windowSec: 1 };
      const req = (id: string, userId = u) => ({ userId, admissionId: id, amount: 10, fingerprint: "f", payload: "e", rateLimit });
      const results = await Promise.all([req("a"), req("a"), req("b"), req("c"), req("d")].map((r) => coins.admitDebit(r)));
      expect(results.filter((r) => r.kind === "rate_limited").length).toBe(2);
      for (const r of results.filter((r) => r.kind === "rate_limited")) expect(r).toEqual({ kind: "rate_limited", retryAfterSec: 1 });
      const debited = results.filter((r) => r.kind === "admitted").length;
      expect(await coins.getAvailable(u)).toBe(100 - 10 * debited);
      // Another user, and another limit name of the same user, count apart.
      expect(await coins.admitDebit(req("a", other))).toMatchObject({ kind: "admitted" });
      expect(await coins.admitDebit({ ...req("z"), rateLimit: { ...rateLimit, name: "other" } })).toMatchObject({ kind: "admitted" });
      await sleep(1100);
      expect(await coins.admitDebit(req("e"))).toMatchObject({ kind: "admitted" });
    });

    test("a new admission enters the pending index with its payload; settle and refund take it out and shrink the record", async () => {
      const u = newUser();
      const bucket = pendingBucket(u);
      await coins.loadAvailable(u, 100, 1);
      const before = await coins.countPending();
      for (const id of ["p1", "p2", "p3"]) await coins.admitDebit({ userId: u, admissionId: id, amount: 10, fingerprint: "f", payload: `event-${id}` });
      expect(await coins.countPending()).toBe(before + 3);
      // Nothing is stale yet under a long period.
      expect(await coins.claimStalePending(bucket, 60_000, 10)).toEqual([]);
      const claimed = await coins.claimStalePending(bucket, 0, 10);
      expect(claimed.filter((c) => c.userId === u).sort((a, b) => a.admissionId.localeCompare(b.admissionId))).toEqual([
        { userId: u, admissionId: "p1", payload: "event-p1" },
        { userId: u, admissionId: "p2", payload: "event-p2" },
        { userId: u, admissionId: "p3", payload: "event-p3" },
      ]);
      // A claim bumps the entries: the next period does not hand them out again.
      expect(await coins.claimStalePending(bucket, 60_000, 10)).toEqual([]);
      expect(await settleOne(coins, u, "p1")).toBe(true);
      expect(await coins.refundDebit(u, "p2")).toBe(true);
      expect(await coins.countPending()).toBe(before + 1);
      expect((await coins.claimStalePending(bucket, 0, 10)).filter((c) => c.userId === u).map((c) => c.admissionId)).toEqual(["p3"]);
      expect(await coins.getAdmission(u, "p1")).toEqual({ state: "settled", fingerprint: "f" });
      expect(await coins.admitDebit({ userId: u, admissionId: "p1", amount: 10, fingerprint: "f", payload: "event-p1" })).toEqual({ kind: "duplicate", state: "settled" });
      expect(await coins.admitDebit({ userId: u, admissionId: "p3", amount: 10, fingerprint: "f", payload: "event-p3" })).toEqual({ kind: "duplicate", state: "pending", payload: "event-p3" });
      // An unknown admission's settle still clears nothing else.
      expect(await settleOne(coins, u, "p1")).toBe(false);
      await settleOne(coins, u, "p3");
      expect(await coins.countPending()).toBe(before);
    });

    test("an admission without a payload stays out of the pending index", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      const before = await coins.countPending();
      const req = { userId: u, admissionId: "shop-pay", amount: 10, fingerprint: "order-1" };
      expect(await coins.admitDebit(req)).toEqual({ kind: "admitted", available: 90 });
      expect(await coins.countPending()).toBe(before);
      expect(await coins.admitDebit(req)).toEqual({ kind: "duplicate", state: "pending" });
      expect((await coins.claimStalePending(pendingBucket(u), 0, 100)).filter((c) => c.userId === u)).toEqual([]);
      expect(await settleOne(coins, u, "shop-pay")).toBe(true);
      await expect(coins.admitDebit({ ...req, admissionId: "empty", payload: "" })).rejects.toThrow(RangeError);
    });

    test("the claim is oldest first and bounded by its limit", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      for (const id of ["o1", "o2", "o3"]) {
        await coins.admitDebit({ userId: u, admissionId: id, amount: 1, fingerprint: "f", payload: id });
        await sleep(3);
      }
      const first = await coins.claimStalePending(pendingBucket(u), 0, 2);
      expect(first.map((c) => c.admissionId)).toEqual(["o1", "o2"]);
      expect((await coins.claimStalePending(pendingBucket(u), 0, 1)).map((c) => c.admissionId)).toEqual(["o3"]);
      for (const id of ["o1", "o2", "o3"]) await coins.refundDebit(u, id);
    });

    test("a credit loads a missing wallet from its own row; a load or cold admission then finds it present", async () => {
      const u = newUser();
      await coins.creditAvailable(u, 10, { balance: 25, version: 5 });
      expect(await coins.getAvailable(u)).toBe(25);
      expect(await coins.loadAvailable(u, 15, 4)).toBe("present");
      // A cold admission carrying an older read: the loaded wallet wins.
      const cold = { userId: u, admissionId: "a", amount: 1, fingerprint: "f", payload: "e", load: { balance: 15, version: 4 } };
      expect(await coins.admitDebit(cold)).toEqual({ kind: "admitted", available: 24 });
    });

    test("a credit older than one a missing wallet already saw loads nothing: an older load is stale", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 40, 6);
      await coins.dropWallet(u); // remembers version 6
      await coins.creditAvailable(u, 10, { balance: 30, version: 5 }); // committed before v6, arrives after the drop
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.loadAvailable(u, 30, 5)).toBe("stale");
      expect(await coins.loadAvailable(u, 40, 6)).toBe("loaded");
      expect(await coins.getAvailable(u)).toBe(40);
    });

    test("a credit does not load a dropped wallet: a debit admitted before the drop may commit after the credit's read", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 10);
      expect(await coins.admitDebit({ userId: u, admissionId: "all", amount: 100, fingerprint: "f", payload: "e" })).toEqual({ kind: "admitted", available: 0 });
      await coins.dropWallet(u); // remembers version 10
      // A recharge of 50 committed at version 11 (its row: 150), then the send's debit at 12 (50); the credit's hot apply comes last.
      await coins.creditAvailable(u, 50, { balance: 150, version: 11 });
      expect(await coins.getAvailable(u)).toBeNull(); // loading its row would say 150 against a truth of 50
      expect(await coins.loadAvailable(u, 50, 12)).toBe("loaded"); // the next admission reads the row afresh
      expect(await coins.getAvailable(u)).toBe(50);
    });

    test("a credit told not to load leaves a missing wallet missing, remembering its version", async () => {
      const u = newUser();
      await coins.creditAvailable(u, 10, { balance: 25, version: 5 }, { load: false });
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.loadAvailable(u, 15, 4)).toBe("stale");
      expect(await coins.loadAvailable(u, 25, 5)).toBe("loaded");
      // A loaded wallet takes the amount as usual.
      await coins.creditAvailable(u, 3, { balance: 28, version: 6 }, { load: false });
      expect(await coins.getAvailable(u)).toBe(28);
    });

    test("a cold admission loads the row it carries and admits in the same call; a row older than a credit seen is stale", async () => {
      const u = newUser();
      const req = { userId: u, admissionId: "c", amount: 30, fingerprint: "f", payload: "e" };
      expect(await coins.admitDebit(req)).toEqual({ kind: "unloaded" });
      await coins.loadAvailable(u, 0, 2);
      await coins.dropWallet(u); // remembers version 2
      expect(await coins.admitDebit({ ...req, load: { balance: 100, version: 1 } })).toEqual({ kind: "stale" });
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.getAdmission(u, "c")).toBeNull();
      expect(await coins.admitDebit({ ...req, load: { balance: 100, version: 3 } })).toEqual({ kind: "admitted", available: 70 });
      expect(await coins.getAdmission(u, "c")).toMatchObject({ state: "pending", amount: 30 });
      // The wallet stays loaded at that version: a credit it already holds is not added again, a newer one is.
      await coins.creditAvailable(u, 100, { balance: 100, version: 3 });
      await coins.creditAvailable(u, 5, { balance: 105, version: 4 });
      expect(await coins.getAvailable(u)).toBe(75);
      // A cold admission that does not fit still loads the wallet, and admits nothing.
      const v = newUser();
      expect(await coins.admitDebit({ ...req, userId: v, load: { balance: 10, version: 1 } })).toEqual({ kind: "insufficient", available: 10, knownVersion: 1 });
      expect(await coins.getAvailable(v)).toBe(10);
      expect(await coins.getAdmission(v, "c")).toBeNull();
    });

    test("cold admissions racing a credit: retried stale rows always end with the credit counted once", async () => {
      // Each user: balance 100 at version 4, then a credit of 10 (110 at version 5).
      // A cold admission read the row before the credit; the credit races it.
      const users = range(30).map(() => newUser());
      await Promise.all(
        users.map((u, i) => {
          const admit = async () => {
            const req = { userId: u, admissionId: "race", amount: 30, fingerprint: "f", payload: "e" };
            const first = await coins.admitDebit({ ...req, load: { balance: 100, version: 4 } });
            // Stale: reading again finds the credit.
            const r = first.kind === "stale" ? await coins.admitDebit({ ...req, load: { balance: 110, version: 5 } }) : first;
            expect(r.kind).toBe("admitted");
          };
          const credit = () => coins.creditAvailable(u, 10, { balance: 110, version: 5 });
          return i % 3 === 0 ? Promise.all([admit(), credit()]) : i % 3 === 1 ? Promise.all([credit(), admit()]) : credit().then(admit);
        }),
      );
      const available = await Promise.all(users.map((u) => coins.getAvailable(u)));
      expect(available).toEqual(users.map(() => 80));
    });

    test("concurrent cold admissions of one user load the wallet once and never over-admit", async () => {
      const u = newUser();
      const results = await Promise.all(
        range(20).map((i) => coins.admitDebit({ userId: u, admissionId: `cold-${i}`, amount: 10, fingerprint: "f", payload: "e", load: { balance: 55, version: 1 } })),
      );
      expect(results.filter((r) => r.kind === "admitted").length).toBe(5);
      expect(results.filter((r) => r.kind === "insufficient").length).toBe(15);
      expect(await coins.getAvailable(u)).toBe(5);
    });

    test("credits apply only when newer than the load version, each once even out of order", async () => {
      const u = newUser();
      expect(await coins.loadAvailable(u, 100, 5)).toBe("loaded");
      await coins.creditAvailable(u, 50, { balance: 100, version: 5 }); // the load read a row that already had it
      await coins.creditAvailable(u, 50, { balance: 50, version: 3 });
      expect(await coins.getAvailable(u)).toBe(100);
      await coins.creditAvailable(u, 7, { balance: 110, version: 7 });
      expect(await coins.getAvailable(u)).toBe(107);
      await coins.creditAvailable(u, 3, { balance: 103, version: 6 }); // committed before v7, arrives after it
      expect(await coins.getAvailable(u)).toBe(110);
    });

    test("load racing a credit: retrying stale loads always ends with the credit counted once", async () => {
      const users = range(30).map(() => newUser());
      await Promise.all(
        users.map((u, i) => {
          const load = async () => {
            // This load read the row before the credit (balance 100 at version 4).
            if ((await coins.loadAvailable(u, 100, 4)) === "stale") {
              // Reading again finds the credit.
              expect(await coins.loadAvailable(u, 110, 5)).toBe("loaded");
            }
          };
          const credit = () => coins.creditAvailable(u, 10, { balance: 110, version: 5 });
          return i % 2 ? Promise.all([load(), credit()]) : Promise.all([credit(), load()]);
        }),
      );
      const available = await Promise.all(users.map((u) => coins.getAvailable(u)));
      expect(available).toEqual(users.map(() => 110));
    });

    test("dropWallet forgets available, keeps admissions, and refuses a load older than what it knew", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 50, 3);
      await coins.creditAvailable(u, 10, { balance: 60, version: 4 });
      await coins.admitDebit({ userId: u, admissionId: "kept", amount: 5, fingerprint: "f", payload: "e" });
      await coins.dropWallet(u);
      await coins.dropWallet(u); // dropping a missing wallet is a no-op
      expect(await coins.getAvailable(u)).toBeNull();
      expect((await coins.getAdmission(u, "kept"))?.state).toBe("pending");
      // A read from before the credit the dropped wallet had counted.
      expect(await coins.loadAvailable(u, 50, 3)).toBe("stale");
      expect(await coins.loadAvailable(u, 60, 4)).toBe("loaded");
      expect(await coins.getAvailable(u)).toBe(60);
    });

    test("dropWallet with ifKnownVersion drops only the wallet that reflects that version", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 0, 3);
      const refused = await coins.admitDebit({ userId: u, admissionId: "r", amount: 20, fingerprint: "f", payload: "e" });
      expect(refused).toEqual({ kind: "insufficient", available: 0, knownVersion: 3 });
      // The first of two requests that saw the stale wallet drops it; a rebuild follows and admits.
      await coins.dropWallet(u, { ifKnownVersion: 3 });
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.loadAvailable(u, 100, 5)).toBe("loaded");
      expect((await coins.admitDebit({ userId: u, admissionId: "a", amount: 20, fingerprint: "f", payload: "e" })).kind).toBe("admitted");
      // The second request's drop finds the rebuilt wallet and keeps it, with its debit.
      await coins.dropWallet(u, { ifKnownVersion: 3 });
      expect(await coins.getAvailable(u)).toBe(80);
      await coins.dropWallet(u, { ifKnownVersion: 5 });
      expect(await coins.getAvailable(u)).toBeNull();
    });

    test("a refund after the wallet was rebuilt does not add the amount twice", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "old", amount: 30, fingerprint: "f", payload: "e" });
      expect(await coins.getAvailable(u)).toBe(70);
      await coins.dropWallet(u);
      // The database never saw the pending debit, so the rebuilt value already holds it.
      expect(await coins.loadAvailable(u, 100, 1)).toBe("loaded");
      expect(await coins.refundDebit(u, "old")).toBe(true);
      expect(await coins.getAvailable(u)).toBe(100);
      expect((await coins.getAdmission(u, "old"))?.state).toBe("refunded");
    });

    test("a refund while the wallet is missing marks the admission and creates no wallet", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "m", amount: 30, fingerprint: "f", payload: "e" });
      await coins.dropWallet(u);
      expect(await coins.refundDebit(u, "m")).toBe(true);
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.admitDebit({ userId: u, admissionId: "n", amount: 1, fingerprint: "f", payload: "e" })).toEqual({ kind: "unloaded" });
      expect(await coins.refundDebit(u, "m")).toBe(false);
    });

    test("wallets of different users are independent", async () => {
      const [a, b] = [newUser(), newUser()];
      await coins.loadAvailable(a, 10, 1);
      await coins.loadAvailable(b, 20, 1);
      await coins.admitDebit({ userId: a, admissionId: "same-id", amount: 10, fingerprint: "f", payload: "e" });
      expect(await coins.admitDebit({ userId: b, admissionId: "same-id", amount: 5, fingerprint: "g", payload: "e" })).toEqual({ kind: "admitted", available: 15 });
      expect(await coins.getAvailable(a)).toBe(0);
    });

    test("malformed amounts, balances and versions are rejected before anything changes", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 10, 1);
      const base = { userId: u, admissionId: "bad", fingerprint: "f", payload: "e" };
      for (const amount of [0, -5, 1.5, Number.NaN, 2 ** 60]) {
        await expect(coins.admitDebit({ ...base, amount })).rejects.toThrow(RangeError);
      }
      await expect(coins.admitDebit({ ...base, amount: 1, rateLimit: { name: "x", limit: 1, windowSec: 0 } })).rejects.toThrow(RangeError);
      await expect(coins.claimStalePending(256, 0, 1)).rejects.toThrow(RangeError);
      await expect(coins.claimStalePending(0, 0, 0)).rejects.toThrow(RangeError);
      await expect(coins.admitDebit({ ...base, amount: 1, admissionId: "" })).rejects.toThrow(RangeError);
      await expect(coins.loadAvailable(newUser(), -1, 1)).rejects.toThrow(RangeError);
      await expect(coins.creditAvailable(u, 0, { balance: 10, version: 2 })).rejects.toThrow(RangeError);
      await expect(coins.creditAvailable(u, 5, { balance: 15, version: -1 })).rejects.toThrow(RangeError);
      await expect(coins.creditAvailable(newUser(), 5, { balance: -1, version: 2 })).rejects.toThrow(RangeError);
      await expect(coins.admitDebit({ ...base, userId: newUser(), amount: 1, load: { balance: -1, version: 1 } })).rejects.toThrow(RangeError);
      await expect(coins.admitDebit({ ...base, userId: newUser(), amount: 1, load: { balance: 5, version: 1.5 } })).rejects.toThrow(RangeError);
      await expect(coins.getAvailable(0)).rejects.toThrow(RangeError);
      expect(await coins.getAvailable(u)).toBe(10);
      expect(await coins.getAdmission(u, "bad")).toBeNull();
    });
  });

  if (ctx.backend.name !== "local") {
    test("keys live under the namespace; a user's keys and the bucket's pending index in one cluster slot", async () => {
      const u = newUser();
      const keys = coinKeys({ key: namespacedKey(ctx.namespace) });
      const raw = ctx.raw()!;
      await coins.loadAvailable(u, 10, 1);
      await coins.admitDebit({ userId: u, admissionId: "slot", amount: 1, fingerprint: "f", payload: "e", rateLimit: { name: "send", limit: 5, windowSec: 60 } });
      const all = [keys.wallet(u), keys.admission(u, "slot"), keys.rateCounter(u, "send"), keys.pending(pendingBucket(u))];
      expect(await raw.exists(...all)).toBe(4);
      expect(keys.wallet(u)).toBe(`${ctx.namespace}:{w:${u % 256}}:wallet:${u}`);
      if (raw instanceof Cluster) {
        const slot = (key: string) => raw.call("CLUSTER", "KEYSLOT", key) as Promise<number>;
        const slots = await Promise.all(all.map(slot));
        expect(new Set(slots).size).toBe(1);
        expect(raw.nodes("master").length).toBeGreaterThan(1);
      }
      await settleOne(coins, u, "slot");
    });

    test("a wallet a credit loaded expires unless debited; the first debit keeps it", async () => {
      const u = newUser();
      const keys = coinKeys({ key: namespacedKey(ctx.namespace) });
      const raw = ctx.raw()!;
      await coins.creditAvailable(u, 10, { balance: 10, version: 1 });
      expect(await raw.ttl(keys.wallet(u))).toBeGreaterThan(0);
      expect((await coins.admitDebit({ userId: u, admissionId: "keep", amount: 1, fingerprint: "f" })).kind).toBe("admitted");
      expect(await raw.ttl(keys.wallet(u))).toBe(-1);
      await settleOne(coins, u, "keep");
    });

    test("an index entry whose admission vanished is dropped by the claim", async () => {
      const u = newUser();
      const keys = coinKeys({ key: namespacedKey(ctx.namespace) });
      await coins.loadAvailable(u, 10, 1);
      await coins.admitDebit({ userId: u, admissionId: "lost", amount: 1, fingerprint: "f", payload: "e" });
      const before = await coins.countPending();
      await ctx.raw()!.del(keys.admission(u, "lost"));
      expect((await coins.claimStalePending(pendingBucket(u), 0, 100)).filter((c) => c.userId === u)).toEqual([]);
      expect(await coins.countPending()).toBe(before - 1);
    });
  }
});
