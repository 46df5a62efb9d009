// The cache helper on both profiles, over each profile's real cache bus (the
// in-process hot store shared by a deployment's processes, or Redis pub/sub):
// TTL expiry (one for all or per value), negative entries, a drop and a
// drop-all reaching another process, and a drop that lands while a load is in
// flight.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Deps } from "../deps.ts";
import { createDeployment, eventually, type Deployment } from "../../test/harness.ts";
import { profilesUnderTest } from "../../test/services.ts";
import { createCache } from "./cache.ts";

const LONG_TTL_MS = 60_000;

/** A value source that counts its reads, standing in for a table. */
function source(initial: Record<string, string | null>) {
  const rows = new Map(Object.entries(initial));
  const reads: string[] = [];
  return {
    rows,
    reads,
    load: async (key: string) => {
      reads.push(key);
      return rows.get(key) ?? null;
    },
  };
}

describe.each(profilesUnderTest())("the cache helper on the %s profile", (profile) => {
  let deployment: Deployment;
  let a: Deps;
  let b: Deps;

  beforeAll(async () => {
    deployment = await createDeployment(profile);
    a = await deployment.spawn({ consumers: false });
    b = await deployment.spawn({ consumers: false });
  });
  afterAll(async () => {
    await deployment.destroy();
  });

  test("an entry is served until its TTL passes, then loaded again", async () => {
    const src = source({ k: "v1" });
    let clock = 1_000_000;
    const cache = createCache({ name: "products", ttlMs: 1000, bus: a.cacheBus, load: src.load, now: () => clock });
    expect(await cache.get("k")).toBe("v1");
    src.rows.set("k", "v2");
    clock += 999;
    expect(await cache.get("k")).toBe("v1");
    expect(src.reads).toEqual(["k"]);
    clock += 1;
    expect(await cache.get("k")).toBe("v2");
    expect(src.reads).toEqual(["k", "k"]);
  });

  test("a TTL chosen per value: an empty answer can expire sooner than a full one", async () => {
    const lists = new Map<string, string[]>([["full", ["a"]], ["empty", []]]);
    let loads = 0;
    let clock = 1_000_000;
    const cache = createCache({
      name: "products",
      ttlMs: (v: string[]) => (v.length > 0 ? 60_000 : 5_000),
      bus: a.cacheBus,
      load: async (key: string) => {
        loads++;
        return lists.get(key)!;
      },
      now: () => clock,
    });
    expect(await cache.get("full")).toEqual(["a"]);
    expect(await cache.get("empty")).toEqual([]);
    lists.set("full", ["changed"]);
    lists.set("empty", ["now known"]);
    clock += 5_000;
    expect(await cache.get("full")).toEqual(["a"]);
    expect(await cache.get("empty")).toEqual(["now known"]);
    expect(loads).toBe(3);
  });

  test("a missing value is cached as a negative entry until dropped", async () => {
    const src = source({});
    const cache = createCache({ name: "products", ttlMs: LONG_TTL_MS, bus: a.cacheBus, load: src.load });
    expect(await cache.get("absent")).toBeNull();
    expect(await cache.get("absent")).toBeNull();
    expect(src.reads).toEqual(["absent"]);
    src.rows.set("absent", "created");
    await cache.drop("absent");
    expect(await cache.get("absent")).toBe("created");
    expect(src.reads).toEqual(["absent", "absent"]);
  });

  test("a drop in one process drops the entry in another through the bus", async () => {
    const src = source({ room: "living", other: "x" });
    const inA = createCache({ name: "products", ttlMs: LONG_TTL_MS, bus: a.cacheBus, load: src.load });
    const inB = createCache({ name: "products", ttlMs: LONG_TTL_MS, bus: b.cacheBus, load: src.load });
    expect(await inA.get("room")).toBe("living");
    expect(await inB.get("room")).toBe("living");
    expect(await inB.get("other")).toBe("x");
    src.rows.set("room", "closed");
    src.rows.set("other", "y");
    // Without a drop, B keeps its copy.
    expect(await inB.get("room")).toBe("living");
    await inA.drop("room");
    // The writer's own process never serves its stale copy.
    expect(await inA.get("room")).toBe("closed");
    await eventually(async () => (await inB.get("room")) === "closed");
    // Only the dropped key went.
    expect(await inB.get("other")).toBe("x");
  });

  test("a drop-all in one process drops every key in another", async () => {
    const src = source({ x: "1", y: "1" });
    const inA = createCache({ name: "products", ttlMs: LONG_TTL_MS, bus: a.cacheBus, load: src.load });
    const inB = createCache({ name: "products", ttlMs: LONG_TTL_MS, bus: b.cacheBus, load: src.load });
    expect([await inB.get("x"), await inB.get("y")]).toEqual(["1", "1"]);
    src.rows.set("x", "2");
    src.rows.set("y", "2");
    expect(await inB.get("x")).toBe("1");
    await inA.dropAll();
    await eventually(async () => (await inB.get("x")) === "2");
    expect(await inB.get("y")).toBe("2");
  });

  test("a drop while a load is in flight: that load's answer is not kept", async () => {
    const rows = new Map([["k", "old"]]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let loads = 0;
    const cache = createCache({
      name: "products",
      ttlMs: LONG_TTL_MS,
      bus: a.cacheBus,
      load: async (key: string) => {
        loads++;
        const value = rows.get(key)!;
        if (loads === 1) await gate;
        return value;
      },
    });
    const first = cache.get("k");
    const concurrent = cache.get("k");
    rows.set("k", "new");
    await cache.drop("k");
    release();
    expect(await first).toBe("old");
    expect(await concurrent).toBe("old");
    expect(loads).toBe(1);
    expect(await cache.get("k")).toBe("new");
    expect(loads).toBe(2);
  });
});
