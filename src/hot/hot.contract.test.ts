// One contract for every hot-store adapter (port.ts): the in-process maps, a
// standalone Redis, and a Redis Cluster. Outcomes are asserted under real
// concurrency (parallel calls share one connection and interleave in Redis),
// so atomicity bugs show as wrong counts, not as flakes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Cluster, Redis } from "ioredis";
import { services, uniqueName } from "../../test/services.ts";
import { createLocalHotStore } from "./local.ts";
import type { HotStore } from "./port.ts";
import { createRedisHotStore } from "./redis/index.ts";
import { createKeys } from "./redis/keys.ts";

const NAMESPACE = uniqueName("hot");
const redisUrl = services().redisUrl;
const clusterNodes = process.env.OVATION_TEST_REDIS_CLUSTER?.split(",").map((s) => s.trim()).filter(Boolean);

interface Target {
  name: string;
  /** Why this adapter cannot run here, or null. */
  skip: string | null;
  make: () => Promise<HotStore>;
  /** A plain client on the same Redis, to look at keys and clean up. */
  raw?: () => Redis | Cluster;
}

const targets: Target[] = [
  { name: "local", skip: null, make: async () => createLocalHotStore() },
  {
    name: "redis",
    skip: redisUrl ? null : `no Redis for this run (${services().missing.join("; ") || "OVATION_TEST_REDIS_URL unset"})`,
    make: () => createRedisHotStore({ url: redisUrl, namespace: NAMESPACE }),
    raw: () => new Redis(redisUrl!),
  },
  {
    name: "redis-cluster",
    skip: clusterNodes?.length ? null : "OVATION_TEST_REDIS_CLUSTER is not set (start one with scripts/redis-cluster.sh start)",
    make: () => createRedisHotStore({ clusterNodes, namespace: NAMESPACE }),
    raw: () => new Cluster(clusterNodes!.map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(":")), port: Number(hp.slice(hp.lastIndexOf(":") + 1)) }))),
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}

/** Deletes every key of this file's namespace (each master, in a cluster). */
async function dropNamespace(raw: Redis | Cluster): Promise<void> {
  const nodes = raw instanceof Cluster ? raw.nodes("master") : [raw];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", `${NAMESPACE}:*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) await node.del(key);
    } while (cursor !== "0");
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe.each(targets)("HotStore contract: $name", (target) => {
  describe.skipIf(target.skip !== null)(target.skip ? `skipped: ${target.skip}` : "operations", () => {
    // A skipped adapter shows as one line with its reason, not one per test.
    if (target.skip !== null) {
      test("the contract suite", () => undefined);
      return;
    }
    let hot: HotStore;
    let raw: Redis | Cluster | undefined;
    let lastUser = 0;
    // Every test works on users of its own, so tests never see each other's state.
    const newUser = () => ++lastUser;

    beforeAll(async () => {
      hot = await target.make();
      raw = target.raw?.();
    });

    afterAll(async () => {
      await hot?.close();
      if (raw) {
        await dropNamespace(raw);
        await raw.quit();
      }
    });

    test("reports its kind and answers ping", async () => {
      expect(hot.kind).toBe(target.name === "local" ? "local" : "redis");
      await hot.ping();
    });

    describe("coins", () => {
      test("a missing wallet is unloaded until loaded; a second load finds it present", async () => {
        const u = newUser();
        expect(await hot.getAvailable(u)).toBeNull();
        expect(await hot.admitDebit({ userId: u, admissionId: "a1", amount: 5, fingerprint: "f", ttlSec: 60 })).toEqual({ kind: "unloaded" });
        expect(await hot.getAdmission(u, "a1")).toBeNull();
        expect(await hot.loadAvailable(u, 100, 1)).toBe("loaded");
        expect(await hot.getAvailable(u)).toBe(100);
        expect(await hot.loadAvailable(u, 999, 2)).toBe("present");
        expect(await hot.getAvailable(u)).toBe(100);
      });

      test("100 parallel debits of 20 against 200: exactly 10 admitted, 90 insufficient, available 0", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 200, 1);
        const results = await Promise.all(
          range(100).map((i) => hot.admitDebit({ userId: u, admissionId: `send-${i}`, amount: 20, fingerprint: `gift:${i}`, ttlSec: 60 })),
        );
        const admitted = results.filter((r) => r.kind === "admitted");
        const insufficient = results.filter((r) => r.kind === "insufficient");
        expect(admitted.length).toBe(10);
        expect(insufficient.length).toBe(90);
        // Each admission saw a distinct balance: no two debits read the same value.
        expect(admitted.map((r) => (r.kind === "admitted" ? r.available : -1)).sort((a, b) => a - b)).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160, 180]);
        for (const r of insufficient) expect(r).toEqual({ kind: "insufficient", available: 0, knownVersion: 1 });
        expect(await hot.getAvailable(u)).toBe(0);
        const states = await Promise.all(range(100).map((i) => hot.getAdmission(u, `send-${i}`)));
        expect(states.filter((s) => s?.state === "pending").length).toBe(10);
        expect(states.filter((s) => s === null).length).toBe(90);
      });

      test("the same admission id: duplicate with the same fingerprint, conflict with another, one debit", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        const req = { userId: u, admissionId: "req-1", amount: 30, fingerprint: "gift:22:room:7", ttlSec: 60 };
        expect(await hot.admitDebit(req)).toEqual({ kind: "admitted", available: 70 });
        expect(await hot.admitDebit(req)).toEqual({ kind: "duplicate", state: "pending" });
        expect(await hot.admitDebit({ ...req, fingerprint: "gift:25:room:7" })).toEqual({ kind: "conflict" });
        expect(await hot.admitDebit({ ...req, amount: 31, fingerprint: "other" })).toEqual({ kind: "conflict" });
        expect(await hot.getAvailable(u)).toBe(70);
        expect(await hot.settleDebit(u, "req-1")).toBe(true);
        expect(await hot.admitDebit(req)).toEqual({ kind: "duplicate", state: "settled" });
        expect(await hot.getAdmission(u, "req-1")).toEqual({ state: "settled", amount: 30, fingerprint: "gift:22:room:7" });
        expect(await hot.getAvailable(u)).toBe(70);
      });

      test("20 parallel admissions with one id debit once", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        const req = { userId: u, admissionId: "retry", amount: 10, fingerprint: "f", ttlSec: 60 };
        const results = await Promise.all(range(20).map(() => hot.admitDebit(req)));
        expect(results.filter((r) => r.kind === "admitted").length).toBe(1);
        expect(results.filter((r) => r.kind === "duplicate").length).toBe(19);
        expect(await hot.getAvailable(u)).toBe(90);
      });

      test("the admission check comes before the wallet: a retry after a drop still finds its outcome", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 50, 1);
        const req = { userId: u, admissionId: "x", amount: 10, fingerprint: "f", ttlSec: 60 };
        await hot.admitDebit(req);
        await hot.dropWallet(u);
        expect(await hot.admitDebit(req)).toEqual({ kind: "duplicate", state: "pending" });
        expect(await hot.admitDebit({ ...req, admissionId: "y" })).toEqual({ kind: "unloaded" });
      });

      test("an insufficient attempt is not remembered: the same id succeeds after a credit", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 5, 1);
        const req = { userId: u, admissionId: "late", amount: 10, fingerprint: "f", ttlSec: 60 };
        expect(await hot.admitDebit(req)).toEqual({ kind: "insufficient", available: 5, knownVersion: 1 });
        expect(await hot.getAdmission(u, "late")).toBeNull();
        await hot.creditAvailable(u, 5, 2);
        expect(await hot.admitDebit(req)).toEqual({ kind: "admitted", available: 0 });
      });

      test("an insufficient answer tells the newest account version the wallet reflects", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 0, 3);
        const req = { userId: u, admissionId: "v", amount: 10, fingerprint: "f", ttlSec: 60 };
        expect(await hot.admitDebit(req)).toMatchObject({ kind: "insufficient", knownVersion: 3 });
        await hot.creditAvailable(u, 4, 7);
        expect(await hot.admitDebit(req)).toEqual({ kind: "insufficient", available: 4, knownVersion: 7 });
      });

      test("settle moves pending to settled once and leaves available alone", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        await hot.admitDebit({ userId: u, admissionId: "s", amount: 40, fingerprint: "f", ttlSec: 60 });
        const settles = await Promise.all(range(20).map(() => hot.settleDebit(u, "s")));
        expect(settles.filter(Boolean).length).toBe(1);
        expect(await hot.settleDebit(u, "s")).toBe(false);
        expect(await hot.refundDebit(u, "s")).toBe(false);
        expect(await hot.getAvailable(u)).toBe(60);
        expect((await hot.getAdmission(u, "s"))?.state).toBe("settled");
      });

      test("20 parallel refunds return the money exactly once", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        await hot.admitDebit({ userId: u, admissionId: "r", amount: 40, fingerprint: "f", ttlSec: 60 });
        expect(await hot.getAvailable(u)).toBe(60);
        const refunds = await Promise.all(range(20).map(() => hot.refundDebit(u, "r")));
        expect(refunds.filter(Boolean).length).toBe(1);
        expect(await hot.getAvailable(u)).toBe(100);
        expect(await hot.refundDebit(u, "r")).toBe(false);
        expect(await hot.settleDebit(u, "r")).toBe(false);
        expect(await hot.getAvailable(u)).toBe(100);
        expect(await hot.getAdmission(u, "r")).toEqual({ state: "refunded", amount: 40, fingerprint: "f" });
      });

      test("settle and refund racing on one admission: exactly one wins", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        await hot.admitDebit({ userId: u, admissionId: "race", amount: 25, fingerprint: "f", ttlSec: 60 });
        const outcomes = await Promise.all(range(20).map((i) => (i % 2 ? hot.settleDebit(u, "race") : hot.refundDebit(u, "race"))));
        expect(outcomes.filter(Boolean).length).toBe(1);
        const state = (await hot.getAdmission(u, "race"))?.state;
        expect(await hot.getAvailable(u)).toBe(state === "refunded" ? 100 : 75);
      });

      test("unknown admissions: settle and refund answer false, getAdmission null", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 10, 1);
        expect(await hot.settleDebit(u, "nope")).toBe(false);
        expect(await hot.refundDebit(u, "nope")).toBe(false);
        expect(await hot.getAdmission(u, "nope")).toBeNull();
        expect(await hot.getAvailable(u)).toBe(10);
      });

      test("admissions are forgotten after their TTL", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        await hot.admitDebit({ userId: u, admissionId: "short", amount: 10, fingerprint: "f", ttlSec: 1 });
        await hot.admitDebit({ userId: u, admissionId: "long", amount: 10, fingerprint: "f", ttlSec: 60 });
        expect((await hot.getAdmission(u, "short"))?.state).toBe("pending");
        await sleep(1150);
        expect(await hot.getAdmission(u, "short")).toBeNull();
        expect(await hot.settleDebit(u, "short")).toBe(false);
        expect((await hot.getAdmission(u, "long"))?.state).toBe("pending");
        // After the TTL the id is new again; the ledger's unique business id is the guard from here on.
        expect(await hot.admitDebit({ userId: u, admissionId: "short", amount: 10, fingerprint: "f", ttlSec: 1 })).toEqual({ kind: "admitted", available: 70 });
      });

      test("settle and refund keep the admission's TTL", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        await hot.admitDebit({ userId: u, admissionId: "a", amount: 10, fingerprint: "f", ttlSec: 1 });
        await hot.admitDebit({ userId: u, admissionId: "b", amount: 10, fingerprint: "f", ttlSec: 1 });
        await hot.settleDebit(u, "a");
        await hot.refundDebit(u, "b");
        await sleep(1150);
        expect(await hot.getAdmission(u, "a")).toBeNull();
        expect(await hot.getAdmission(u, "b")).toBeNull();
      });

      test("a credit while the wallet is missing makes an older load stale; a load at its version succeeds", async () => {
        const u = newUser();
        await hot.creditAvailable(u, 10, 5);
        // The credit alone must not create a wallet.
        expect(await hot.getAvailable(u)).toBeNull();
        expect(await hot.admitDebit({ userId: u, admissionId: "a", amount: 1, fingerprint: "f", ttlSec: 60 })).toEqual({ kind: "unloaded" });
        expect(await hot.loadAvailable(u, 0, 4)).toBe("stale");
        expect(await hot.getAvailable(u)).toBeNull();
        expect(await hot.loadAvailable(u, 10, 5)).toBe("loaded");
        expect(await hot.getAvailable(u)).toBe(10);
      });

      test("credits apply only when newer than the load version, each once even out of order", async () => {
        const u = newUser();
        expect(await hot.loadAvailable(u, 100, 5)).toBe("loaded");
        await hot.creditAvailable(u, 50, 5); // the load read a row that already had it
        await hot.creditAvailable(u, 50, 3);
        expect(await hot.getAvailable(u)).toBe(100);
        await hot.creditAvailable(u, 7, 7);
        expect(await hot.getAvailable(u)).toBe(107);
        await hot.creditAvailable(u, 3, 6); // committed before v7, arrives after it
        expect(await hot.getAvailable(u)).toBe(110);
      });

      test("load racing a credit: retrying stale loads always ends with the credit counted once", async () => {
        const users = range(30).map(() => newUser());
        await Promise.all(
          users.map((u, i) => {
            const load = async () => {
              // This load read the row before the credit (balance 100 at version 4).
              if ((await hot.loadAvailable(u, 100, 4)) === "stale") {
                // Reading again finds the credit.
                expect(await hot.loadAvailable(u, 110, 5)).toBe("loaded");
              }
            };
            const credit = () => hot.creditAvailable(u, 10, 5);
            return i % 2 ? Promise.all([load(), credit()]) : Promise.all([credit(), load()]);
          }),
        );
        const available = await Promise.all(users.map((u) => hot.getAvailable(u)));
        expect(available).toEqual(users.map(() => 110));
      });

      test("dropWallet forgets available, keeps admissions, and refuses a load older than what it knew", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 50, 3);
        await hot.creditAvailable(u, 10, 4);
        await hot.admitDebit({ userId: u, admissionId: "kept", amount: 5, fingerprint: "f", ttlSec: 60 });
        await hot.dropWallet(u);
        await hot.dropWallet(u); // dropping a missing wallet is a no-op
        expect(await hot.getAvailable(u)).toBeNull();
        expect((await hot.getAdmission(u, "kept"))?.state).toBe("pending");
        // A read from before the credit the dropped wallet had counted.
        expect(await hot.loadAvailable(u, 50, 3)).toBe("stale");
        expect(await hot.loadAvailable(u, 60, 4)).toBe("loaded");
        expect(await hot.getAvailable(u)).toBe(60);
      });

      test("a refund after the wallet was rebuilt does not add the amount twice", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        await hot.admitDebit({ userId: u, admissionId: "old", amount: 30, fingerprint: "f", ttlSec: 60 });
        expect(await hot.getAvailable(u)).toBe(70);
        await hot.dropWallet(u);
        // The database never saw the pending debit, so the rebuilt value already holds it.
        expect(await hot.loadAvailable(u, 100, 1)).toBe("loaded");
        expect(await hot.refundDebit(u, "old")).toBe(true);
        expect(await hot.getAvailable(u)).toBe(100);
        expect((await hot.getAdmission(u, "old"))?.state).toBe("refunded");
      });

      test("a refund while the wallet is missing marks the admission and creates no wallet", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 100, 1);
        await hot.admitDebit({ userId: u, admissionId: "m", amount: 30, fingerprint: "f", ttlSec: 60 });
        await hot.dropWallet(u);
        expect(await hot.refundDebit(u, "m")).toBe(true);
        expect(await hot.getAvailable(u)).toBeNull();
        expect(await hot.admitDebit({ userId: u, admissionId: "n", amount: 1, fingerprint: "f", ttlSec: 60 })).toEqual({ kind: "unloaded" });
        expect(await hot.refundDebit(u, "m")).toBe(false);
      });

      test("wallets of different users are independent", async () => {
        const [a, b] = [newUser(), newUser()];
        await hot.loadAvailable(a, 10, 1);
        await hot.loadAvailable(b, 20, 1);
        await hot.admitDebit({ userId: a, admissionId: "same-id", amount: 10, fingerprint: "f", ttlSec: 60 });
        expect(await hot.admitDebit({ userId: b, admissionId: "same-id", amount: 5, fingerprint: "g", ttlSec: 60 })).toEqual({ kind: "admitted", available: 15 });
        expect(await hot.getAvailable(a)).toBe(0);
      });

      test("malformed amounts, balances and versions are rejected before anything changes", async () => {
        const u = newUser();
        await hot.loadAvailable(u, 10, 1);
        const base = { userId: u, admissionId: "bad", fingerprint: "f", ttlSec: 60 };
        for (const amount of [0, -5, 1.5, Number.NaN, 2 ** 60]) {
          await expect(hot.admitDebit({ ...base, amount })).rejects.toThrow(RangeError);
        }
        await expect(hot.admitDebit({ ...base, amount: 1, ttlSec: 0 })).rejects.toThrow(RangeError);
        await expect(hot.admitDebit({ ...base, amount: 1, admissionId: "" })).rejects.toThrow(RangeError);
        await expect(hot.loadAvailable(newUser(), -1, 1)).rejects.toThrow(RangeError);
        await expect(hot.creditAvailable(u, 0, 2)).rejects.toThrow(RangeError);
        await expect(hot.creditAvailable(u, 5, -1)).rejects.toThrow(RangeError);
        await expect(hot.getAvailable(0)).rejects.toThrow(RangeError);
        expect(await hot.getAvailable(u)).toBe(10);
        expect(await hot.getAdmission(u, "bad")).toBeNull();
      });
    });

    describe("locks", () => {
      test("20 parallel acquires: exactly one owner; only its token releases", async () => {
        const name = `wallet-load:${newUser()}`;
        const tokens = await Promise.all(range(20).map(() => hot.acquireLock(name, 10_000)));
        const owners = tokens.filter((t): t is string => t !== null);
        expect(owners.length).toBe(1);
        const token = owners[0]!;
        expect(await hot.acquireLock(name, 10_000)).toBeNull();
        expect(await hot.releaseLock(name, "not-the-token")).toBe(false);
        expect(await hot.acquireLock(name, 10_000)).toBeNull();
        expect(await hot.releaseLock(name, token)).toBe(true);
        expect(await hot.releaseLock(name, token)).toBe(false);
        const next = await hot.acquireLock(name, 10_000);
        expect(next).not.toBeNull();
        expect(next).not.toBe(token);
        expect(await hot.releaseLock(name, next!)).toBe(true);
      });

      test("a lock expires after its TTL, and the old owner cannot release the new owner's lock", async () => {
        const name = `expiring:${newUser()}`;
        const first = await hot.acquireLock(name, 100);
        expect(first).not.toBeNull();
        await sleep(150);
        const second = await hot.acquireLock(name, 10_000);
        expect(second).not.toBeNull();
        expect(await hot.releaseLock(name, first!)).toBe(false);
        expect(await hot.acquireLock(name, 10_000)).toBeNull();
        expect(await hot.releaseLock(name, second!)).toBe(true);
      });

      test("locks with different names do not exclude each other", async () => {
        const u = newUser();
        const a = await hot.acquireLock(`a:${u}`, 10_000);
        const b = await hot.acquireLock(`b:${u}`, 10_000);
        expect(a).not.toBeNull();
        expect(b).not.toBeNull();
        expect(await hot.releaseLock(`a:${u}`, b!)).toBe(false);
        expect(await hot.releaseLock(`a:${u}`, a!)).toBe(true);
        expect(await hot.releaseLock(`b:${u}`, b!)).toBe(true);
      });
    });

    describe("rate limits", () => {
      test("parallel hits are each counted once; the window resets after windowSec", async () => {
        const key = `rl:send:${newUser()}`;
        const hits = await Promise.all(range(30).map(() => hot.hitRateLimit(key, 10, 1)));
        expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(range(30).map((i) => i + 1));
        for (const h of hits) {
          expect(h.allowed).toBe(h.count <= 10);
          expect(h.retryAfterSec).toBe(1);
        }
        await sleep(1150);
        expect(await hot.hitRateLimit(key, 10, 1)).toEqual({ allowed: true, count: 1, retryAfterSec: 1 });
      });

      test("retryAfterSec counts down within the window; keys are independent", async () => {
        const u = newUser();
        const first = await hot.hitRateLimit(`rooms:${u}`, 1, 10);
        expect(first).toEqual({ allowed: true, count: 1, retryAfterSec: 10 });
        const second = await hot.hitRateLimit(`rooms:${u}`, 1, 10);
        expect(second.allowed).toBe(false);
        expect(second.count).toBe(2);
        expect(second.retryAfterSec).toBeGreaterThanOrEqual(9);
        expect(second.retryAfterSec).toBeLessThanOrEqual(10);
        expect((await hot.hitRateLimit(`rooms:${u + 1000}`, 1, 10)).allowed).toBe(true);
      });
    });

    describe("publish/subscribe", () => {
      test("every subscriber receives each message in publish order, never inside publish()", async () => {
        const channel = `room:${newUser()}`;
        const a: string[] = [];
        const b: string[] = [];
        await hot.subscribe(channel, (m) => a.push(m));
        await hot.subscribe(channel, (m) => b.push(m));
        const published = hot.publish(channel, "m0");
        expect(a).toEqual([]);
        await published;
        for (const i of range(19)) await hot.publish(channel, `m${i + 1}`);
        const expected = range(20).map((i) => `m${i}`);
        await eventually(() => a.length === 20 && b.length === 20);
        expect(a).toEqual(expected);
        expect(b).toEqual(expected);
      });

      test("unsubscribe stops delivery to that handler only, and channels are separate", async () => {
        const u = newUser();
        const channel = `room:${u}`;
        const kept: string[] = [];
        const left: string[] = [];
        const other: string[] = [];
        await hot.subscribe(channel, (m) => kept.push(m));
        const leave = await hot.subscribe(channel, (m) => left.push(m));
        await hot.subscribe(`room:${u}:other`, (m) => other.push(m));
        await hot.publish(channel, "before");
        await eventually(() => kept.length === 1 && left.length === 1);
        await leave();
        await leave(); // a second call is harmless
        await hot.publish(channel, "after");
        // Messages arrive in order, so once `kept` has "after", `left` would have had it too.
        await eventually(() => kept.length === 2);
        expect(kept).toEqual(["before", "after"]);
        expect(left).toEqual(["before"]);
        expect(other).toEqual([]);
      });

      test("the last unsubscribe stops delivery; subscribing again resumes it", async () => {
        const channel = `room:${newUser()}`;
        const first: string[] = [];
        const leave = await hot.subscribe(channel, (m) => first.push(m));
        await leave();
        const second: string[] = [];
        await hot.subscribe(channel, (m) => second.push(m));
        await hot.publish(channel, "m");
        await eventually(() => second.length === 1);
        expect(first).toEqual([]);
      });

      test("a throwing handler does not keep the message from the others", async () => {
        const channel = `room:${newUser()}`;
        const got: string[] = [];
        const quiet = console.error;
        console.error = () => undefined;
        try {
          await hot.subscribe(channel, () => {
            throw new Error("handler bug");
          });
          await hot.subscribe(channel, (m) => got.push(m));
          await hot.publish(channel, "m");
          await eventually(() => got.length === 1);
        } finally {
          console.error = quiet;
        }
      });

      if (target.name !== "local") {
        test("messages cross processes sharing a namespace, and never cross namespaces", async () => {
          const channel = `room:${newUser()}`;
          const peer = await target.make();
          const foreign = await (target.name === "redis"
            ? createRedisHotStore({ url: redisUrl, namespace: `${NAMESPACE}x` })
            : createRedisHotStore({ clusterNodes, namespace: `${NAMESPACE}x` }));
          try {
            const got: string[] = [];
            await peer.subscribe(channel, (m) => got.push(m));
            await foreign.publish(channel, "foreign");
            await hot.publish(channel, "hello");
            await eventually(() => got.length === 1);
            expect(got).toEqual(["hello"]);
          } finally {
            await peer.close();
            await foreign.close();
          }
        });

        test("keys live under the namespace, a user's keys in one cluster slot", async () => {
          const u = newUser();
          const keys = createKeys(NAMESPACE);
          await hot.loadAvailable(u, 10, 1);
          await hot.admitDebit({ userId: u, admissionId: "slot", amount: 1, fingerprint: "f", ttlSec: 60 });
          expect(await raw!.exists(keys.wallet(u), keys.admission(u, "slot"))).toBe(2);
          expect(keys.wallet(u)).toBe(`${NAMESPACE}:{u:${u}}:wallet`);
          if (raw instanceof Cluster) {
            const slot = (key: string) => raw!.call("CLUSTER", "KEYSLOT", key) as Promise<number>;
            expect(await slot(keys.admission(u, "slot"))).toBe(await slot(keys.wallet(u)));
            expect(raw.nodes("master").length).toBeGreaterThan(1);
          }
        });
      }
    });
  });
});
