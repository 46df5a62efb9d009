// The catalogue's process-local cache: per-value TTLs, one load for
// concurrent misses, and a drop during a load keeping that load's answer out.
import { describe, expect, test } from "bun:test";
import { createLocalCache } from "./local-cache.ts";

describe("the shop's local cache", () => {
  test("a value is served until its own TTL ends; an empty value can have a shorter one", async () => {
    const cache = createLocalCache<string, string[]>((v) => (v.length > 0 ? 60_000 : 0));
    let loads = 0;
    const load = (v: string[]) => async () => {
      loads++;
      return v;
    };
    expect(await cache.get("full", load(["a"]))).toEqual(["a"]);
    expect(await cache.get("full", load(["changed"]))).toEqual(["a"]);
    expect(await cache.get("empty", load([]))).toEqual([]);
    // TTL 0: the empty value is already stale, so the next read loads again.
    expect(await cache.get("empty", load(["now known"]))).toEqual(["now known"]);
    expect(loads).toBe(3);
  });

  test("concurrent misses of one key share one load", async () => {
    const cache = createLocalCache<number, number>(() => 60_000);
    let loads = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        cache.get(1, async () => {
          loads++;
          await Bun.sleep(5);
          return 42;
        }),
      ),
    );
    expect(results).toEqual(Array(20).fill(42));
    expect(loads).toBe(1);
  });

  test("a drop while a load is in flight keeps that load's answer out of the cache", async () => {
    const cache = createLocalCache<number, string>(() => 60_000);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stale = cache.get(1, async () => {
      await gate;
      return "before the change";
    });
    cache.drop(1);
    release();
    expect(await stale).toBe("before the change");
    expect(await cache.get(1, async () => "after the change")).toBe("after the change");
    cache.clear();
    expect(await cache.get(1, async () => "reloaded")).toBe("reloaded");
  });
});
