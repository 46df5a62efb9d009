// The guards contract (port.ts: locks and rate limits) on every backend: the
// in-process maps, a standalone Redis and a Redis Cluster, under real
// concurrency.
import { beforeAll, describe, expect, test } from "bun:test";
import { describeHotContract, range, sleep } from "../../../test/hot-backends.ts";
import type { Guards } from "./port.ts";

describeHotContract("Guards contract", (ctx) => {
  const { newUser } = ctx;
  let guards: Guards;
  beforeAll(() => {
    guards = ctx.hot().guards;
  });

  describe("locks", () => {
    test("20 parallel acquires: exactly one owner; only its token releases", async () => {
      const name = `wallet-load:${newUser()}`;
      const tokens = await Promise.all(range(20).map(() => guards.acquireLock(name, 10_000)));
      const owners = tokens.filter((t): t is string => t !== null);
      expect(owners.length).toBe(1);
      const token = owners[0]!;
      expect(await guards.acquireLock(name, 10_000)).toBeNull();
      expect(await guards.releaseLock(name, "not-the-token")).toBe(false);
      expect(await guards.acquireLock(name, 10_000)).toBeNull();
      expect(await guards.releaseLock(name, token)).toBe(true);
      expect(await guards.releaseLock(name, token)).toBe(false);
      const next = await guards.acquireLock(name, 10_000);
      expect(next).not.toBeNull();
      expect(next).not.toBe(token);
      expect(await guards.releaseLock(name, next!)).toBe(true);
    });

    test("a lock expires after its TTL, and the old owner cannot release the new owner's lock", async () => {
      const name = `expiring:${newUser()}`;
      const first = await guards.acquireLock(name, 100);
      expect(first).not.toBeNull();
      await sleep(150);
      const second = await guards.acquireLock(name, 10_000);
      expect(second).not.toBeNull();
      expect(await guards.releaseLock(name, first!)).toBe(false);
      expect(await guards.acquireLock(name, 10_000)).toBeNull();
      expect(await guards.releaseLock(name, second!)).toBe(true);
    });

    test("locks with different names do not exclude each other", async () => {
      const u = newUser();
      const a = await guards.acquireLock(`a:${u}`, 10_000);
      const b = await guards.acquireLock(`b:${u}`, 10_000);
      expect(a).not.toBeNull();
      expect(b).not.toBeNull();
      expect(await guards.releaseLock(`a:${u}`, b!)).toBe(false);
      expect(await guards.releaseLock(`a:${u}`, a!)).toBe(true);
      expect(await guards.releaseLock(`b:${u}`, b!)).toBe(true);
    });
  });

  describe("rate limits", () => {
    test("parallel hits are each counted once; the window resets after windowSec", async () => {
      const key = `rl:send:${newUser()}`;
      const hits = await Promise.all(range(30).map(() => guards.hitRateLimit(key, 10, 1)));
      expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(range(30).map((i) => i + 1));
      for (const h of hits) {
        expect(h.allowed).toBe(h.count <= 10);
        expect(h.retryAfterSec).toBe(1);
      }
      await sleep(1150);
      expect(await guards.hitRateLimit(key, 10, 1)).toEqual({ allowed: true, count: 1, retryAfterSec: 1 });
    });

    test("retryAfterSec counts down within the window; keys are independent", async () => {
      const u = newUser();
      const first = await guards.hitRateLimit(`rooms:${u}`, 1, 10);
      expect(first).toEqual({ allowed: true, count: 1, retryAfterSec: 10 });
      const second = await guards.hitRateLimit(`rooms:${u}`, 1, 10);
      expect(second.allowed).toBe(false);
      expect(second.count).toBe(2);
      expect(second.retryAfterSec).toBeGreaterThanOrEqual(9);
      expect(second.retryAfterSec).toBeLessThanOrEqual(10);
      expect((await guards.hitRateLimit(`rooms:${u + 1000}`, 1, 10)).allowed).toBe(true);
    });
  });
});
