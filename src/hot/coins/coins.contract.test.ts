// The coins contract (port.ts) on every backend: the in-process maps, a
// standalone Redis and a Redis Cluster. Outcomes are asserted under real
// concurrency (parallel calls share one connection and interleave in Redis),
// so atomicity bugs show as wrong counts, not as flakes.
import { beforeAll, describe, expect, test } from "bun:test";
import { Cluster } from "ioredis";
import { describeHotContract, range, sleep } from "../../../test/hot-backends.ts";
import type { HotCoins } from "./port.ts";
import { namespacedKey } from "../redis/connection.ts";
import { coinKeys } from "./redis.ts";

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
      expect(await coins.admitDebit({ userId: u, admissionId: "a1", amount: 5, fingerprint: "f", ttlSec: 60 })).toEqual({ kind: "unloaded" });
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
        range(100).map((i) => coins.admitDebit({ userId: u, admissionId: `send-${i}`, amount: 20, fingerprint: `gift:${i}`, ttlSec: 60 })),
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
      const req = { userId: u, admissionId: "req-1", amount: 30, fingerprint: "gift:22:room:7", ttlSec: 60 };
      expect(await coins.admitDebit(req)).toEqual({ kind: "admitted", available: 70 });
      expect(await coins.admitDebit(req)).toEqual({ kind: "duplicate", state: "pending" });
      expect(await coins.admitDebit({ ...req, fingerprint: "gift:25:room:7" })).toEqual({ kind: "conflict" });
      expect(await coins.admitDebit({ ...req, amount: 31, fingerprint: "other" })).toEqual({ kind: "conflict" });
      expect(await coins.getAvailable(u)).toBe(70);
      expect(await coins.settleDebit(u, "req-1")).toBe(true);
      expect(await coins.admitDebit(req)).toEqual({ kind: "duplicate", state: "settled" });
      expect(await coins.getAdmission(u, "req-1")).toEqual({ state: "settled", amount: 30, fingerprint: "gift:22:room:7" });
      expect(await coins.getAvailable(u)).toBe(70);
    });

    test("20 parallel admissions with one id debit once", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      const req = { userId: u, admissionId: "retry", amount: 10, fingerprint: "f", ttlSec: 60 };
      const results = await Promise.all(range(20).map(() => coins.admitDebit(req)));
      expect(results.filter((r) => r.kind === "admitted").length).toBe(1);
      expect(results.filter((r) => r.kind === "duplicate").length).toBe(19);
      expect(await coins.getAvailable(u)).toBe(90);
    });

    test("the admission check comes before the wallet: a retry after a drop still finds its outcome", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 50, 1);
      const req = { userId: u, admissionId: "x", amount: 10, fingerprint: "f", ttlSec: 60 };
      await coins.admitDebit(req);
      await coins.dropWallet(u);
      expect(await coins.admitDebit(req)).toEqual({ kind: "duplicate", state: "pending" });
      expect(await coins.admitDebit({ ...req, admissionId: "y" })).toEqual({ kind: "unloaded" });
    });

    test("an insufficient attempt is not remembered: the same id succeeds after a credit", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 5, 1);
      const req = { userId: u, admissionId: "late", amount: 10, fingerprint: "f", ttlSec: 60 };
      expect(await coins.admitDebit(req)).toEqual({ kind: "insufficient", available: 5, knownVersion: 1 });
      expect(await coins.getAdmission(u, "late")).toBeNull();
      await coins.creditAvailable(u, 5, 2);
      expect(await coins.admitDebit(req)).toEqual({ kind: "admitted", available: 0 });
    });

    test("an insufficient answer tells the newest account version the wallet reflects", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 0, 3);
      const req = { userId: u, admissionId: "v", amount: 10, fingerprint: "f", ttlSec: 60 };
      expect(await coins.admitDebit(req)).toMatchObject({ kind: "insufficient", knownVersion: 3 });
      await coins.creditAvailable(u, 4, 7);
      expect(await coins.admitDebit(req)).toEqual({ kind: "insufficient", available: 4, knownVersion: 7 });
    });

    test("settle moves pending to settled once and leaves available alone", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "s", amount: 40, fingerprint: "f", ttlSec: 60 });
      const settles = await Promise.all(range(20).map(() => coins.settleDebit(u, "s")));
      expect(settles.filter(Boolean).length).toBe(1);
      expect(await coins.settleDebit(u, "s")).toBe(false);
      expect(await coins.refundDebit(u, "s")).toBe(false);
      expect(await coins.getAvailable(u)).toBe(60);
      expect((await coins.getAdmission(u, "s"))?.state).toBe("settled");
    });

    test("20 parallel refunds return the money exactly once", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "r", amount: 40, fingerprint: "f", ttlSec: 60 });
      expect(await coins.getAvailable(u)).toBe(60);
      const refunds = await Promise.all(range(20).map(() => coins.refundDebit(u, "r")));
      expect(refunds.filter(Boolean).length).toBe(1);
      expect(await coins.getAvailable(u)).toBe(100);
      expect(await coins.refundDebit(u, "r")).toBe(false);
      expect(await coins.settleDebit(u, "r")).toBe(false);
      expect(await coins.getAvailable(u)).toBe(100);
      expect(await coins.getAdmission(u, "r")).toEqual({ state: "refunded", amount: 40, fingerprint: "f" });
    });

    test("settle and refund racing on one admission: exactly one wins", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "race", amount: 25, fingerprint: "f", ttlSec: 60 });
      const outcomes = await Promise.all(range(20).map((i) => (i % 2 ? coins.settleDebit(u, "race") : coins.refundDebit(u, "race"))));
      expect(outcomes.filter(Boolean).length).toBe(1);
      const state = (await coins.getAdmission(u, "race"))?.state;
      expect(await coins.getAvailable(u)).toBe(state === "refunded" ? 100 : 75);
    });

    test("unknown admissions: settle and refund answer false, getAdmission null", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 10, 1);
      expect(await coins.settleDebit(u, "nope")).toBe(false);
      expect(await coins.refundDebit(u, "nope")).toBe(false);
      expect(await coins.getAdmission(u, "nope")).toBeNull();
      expect(await coins.getAvailable(u)).toBe(10);
    });

    test("admissions are forgotten after their TTL", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "short", amount: 10, fingerprint: "f", ttlSec: 1 });
      await coins.admitDebit({ userId: u, admissionId: "long", amount: 10, fingerprint: "f", ttlSec: 60 });
      expect((await coins.getAdmission(u, "short"))?.state).toBe("pending");
      await sleep(1150);
      expect(await coins.getAdmission(u, "short")).toBeNull();
      expect(await coins.settleDebit(u, "short")).toBe(false);
      expect((await coins.getAdmission(u, "long"))?.state).toBe("pending");
      // After the TTL the id is new again; the ledger's unique business id is the guard from here on.
      expect(await coins.admitDebit({ userId: u, admissionId: "short", amount: 10, fingerprint: "f", ttlSec: 1 })).toEqual({ kind: "admitted", available: 70 });
    });

    test("settle and refund keep the admission's TTL", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "a", amount: 10, fingerprint: "f", ttlSec: 1 });
      await coins.admitDebit({ userId: u, admissionId: "b", amount: 10, fingerprint: "f", ttlSec: 1 });
      await coins.settleDebit(u, "a");
      await coins.refundDebit(u, "b");
      await sleep(1150);
      expect(await coins.getAdmission(u, "a")).toBeNull();
      expect(await coins.getAdmission(u, "b")).toBeNull();
    });

    test("a credit while the wallet is missing makes an older load stale; a load at its version succeeds", async () => {
      const u = newUser();
      await coins.creditAvailable(u, 10, 5);
      // The credit alone must not create a wallet.
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.admitDebit({ userId: u, admissionId: "a", amount: 1, fingerprint: "f", ttlSec: 60 })).toEqual({ kind: "unloaded" });
      expect(await coins.loadAvailable(u, 0, 4)).toBe("stale");
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.loadAvailable(u, 10, 5)).toBe("loaded");
      expect(await coins.getAvailable(u)).toBe(10);
    });

    test("credits apply only when newer than the load version, each once even out of order", async () => {
      const u = newUser();
      expect(await coins.loadAvailable(u, 100, 5)).toBe("loaded");
      await coins.creditAvailable(u, 50, 5); // the load read a row that already had it
      await coins.creditAvailable(u, 50, 3);
      expect(await coins.getAvailable(u)).toBe(100);
      await coins.creditAvailable(u, 7, 7);
      expect(await coins.getAvailable(u)).toBe(107);
      await coins.creditAvailable(u, 3, 6); // committed before v7, arrives after it
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
          const credit = () => coins.creditAvailable(u, 10, 5);
          return i % 2 ? Promise.all([load(), credit()]) : Promise.all([credit(), load()]);
        }),
      );
      const available = await Promise.all(users.map((u) => coins.getAvailable(u)));
      expect(available).toEqual(users.map(() => 110));
    });

    test("dropWallet forgets available, keeps admissions, and refuses a load older than what it knew", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 50, 3);
      await coins.creditAvailable(u, 10, 4);
      await coins.admitDebit({ userId: u, admissionId: "kept", amount: 5, fingerprint: "f", ttlSec: 60 });
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
      const refused = await coins.admitDebit({ userId: u, admissionId: "r", amount: 20, fingerprint: "f", ttlSec: 60 });
      expect(refused).toEqual({ kind: "insufficient", available: 0, knownVersion: 3 });
      // The first of two requests that saw the stale wallet drops it; a rebuild follows and admits.
      await coins.dropWallet(u, { ifKnownVersion: 3 });
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.loadAvailable(u, 100, 5)).toBe("loaded");
      expect((await coins.admitDebit({ userId: u, admissionId: "a", amount: 20, fingerprint: "f", ttlSec: 60 })).kind).toBe("admitted");
      // The second request's drop finds the rebuilt wallet and keeps it, with its debit.
      await coins.dropWallet(u, { ifKnownVersion: 3 });
      expect(await coins.getAvailable(u)).toBe(80);
      await coins.dropWallet(u, { ifKnownVersion: 5 });
      expect(await coins.getAvailable(u)).toBeNull();
    });

    test("a refund after the wallet was rebuilt does not add the amount twice", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 100, 1);
      await coins.admitDebit({ userId: u, admissionId: "old", amount: 30, fingerprint: "f", ttlSec: 60 });
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
      await coins.admitDebit({ userId: u, admissionId: "m", amount: 30, fingerprint: "f", ttlSec: 60 });
      await coins.dropWallet(u);
      expect(await coins.refundDebit(u, "m")).toBe(true);
      expect(await coins.getAvailable(u)).toBeNull();
      expect(await coins.admitDebit({ userId: u, admissionId: "n", amount: 1, fingerprint: "f", ttlSec: 60 })).toEqual({ kind: "unloaded" });
      expect(await coins.refundDebit(u, "m")).toBe(false);
    });

    test("wallets of different users are independent", async () => {
      const [a, b] = [newUser(), newUser()];
      await coins.loadAvailable(a, 10, 1);
      await coins.loadAvailable(b, 20, 1);
      await coins.admitDebit({ userId: a, admissionId: "same-id", amount: 10, fingerprint: "f", ttlSec: 60 });
      expect(await coins.admitDebit({ userId: b, admissionId: "same-id", amount: 5, fingerprint: "g", ttlSec: 60 })).toEqual({ kind: "admitted", available: 15 });
      expect(await coins.getAvailable(a)).toBe(0);
    });

    test("malformed amounts, balances and versions are rejected before anything changes", async () => {
      const u = newUser();
      await coins.loadAvailable(u, 10, 1);
      const base = { userId: u, admissionId: "bad", fingerprint: "f", ttlSec: 60 };
      for (const amount of [0, -5, 1.5, Number.NaN, 2 ** 60]) {
        await expect(coins.admitDebit({ ...base, amount })).rejects.toThrow(RangeError);
      }
      await expect(coins.admitDebit({ ...base, amount: 1, ttlSec: 0 })).rejects.toThrow(RangeError);
      await expect(coins.admitDebit({ ...base, amount: 1, admissionId: "" })).rejects.toThrow(RangeError);
      await expect(coins.loadAvailable(newUser(), -1, 1)).rejects.toThrow(RangeError);
      await expect(coins.creditAvailable(u, 0, 2)).rejects.toThrow(RangeError);
      await expect(coins.creditAvailable(u, 5, -1)).rejects.toThrow(RangeError);
      await expect(coins.getAvailable(0)).rejects.toThrow(RangeError);
      expect(await coins.getAvailable(u)).toBe(10);
      expect(await coins.getAdmission(u, "bad")).toBeNull();
    });
  });

  if (ctx.backend.name !== "local") {
    test("keys live under the namespace, a user's keys in one cluster slot", async () => {
      const u = newUser();
      const keys = coinKeys({ key: namespacedKey(ctx.namespace) });
      const raw = ctx.raw()!;
      await coins.loadAvailable(u, 10, 1);
      await coins.admitDebit({ userId: u, admissionId: "slot", amount: 1, fingerprint: "f", ttlSec: 60 });
      expect(await raw.exists(keys.wallet(u), keys.admission(u, "slot"))).toBe(2);
      expect(keys.wallet(u)).toBe(`${ctx.namespace}:{u:${u}}:wallet`);
      if (raw instanceof Cluster) {
        const slot = (key: string) => raw.call("CLUSTER", "KEYSLOT", key) as Promise<number>;
        expect(await slot(keys.admission(u, "slot"))).toBe(await slot(keys.wallet(u)));
        expect(raw.nodes("master").length).toBeGreaterThan(1);
      }
    });
  }
});
