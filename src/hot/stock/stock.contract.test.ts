// The stock contract (port.ts) on every backend: the in-process maps, a
// standalone Redis and a Redis Cluster. Races run as parallel calls on one
// connection, so an atomicity bug shows as a wrong count.
import { beforeAll, describe, expect, test } from "bun:test";
import { describeHotContract, range } from "../../../test/hot-backends.ts";
import type { HotStock, ReserveInput } from "./port.ts";

describeHotContract("HotStock contract", (ctx) => {
  let stock: HotStock;
  let lastSku = 0;
  const newSku = () => ++lastSku;
  const T0 = 1_700_000_000_000;
  beforeAll(() => {
    stock = ctx.hot().stock;
  });
  const load = (skuId: number, available: number, pending: { orderId: string; userId: number; count: number }[] = [], userHeld: { userId: number; units: number }[] = []) =>
    stock.load({ skuId, available, pending, userHeld });
  const reserve = (over: Partial<ReserveInput> & { skuId: number; orderId: string }) =>
    stock.reserve({ userId: 1, count: 1, limitPerUser: 0, nowMs: T0, ...over });

  describe("stock", () => {
    test("unloaded until loaded; a second load finds it present and changes nothing", async () => {
      const sku = newSku();
      expect(await stock.available(sku)).toBeNull();
      expect(await reserve({ skuId: sku, orderId: "o1" })).toEqual({ kind: "unloaded" });
      expect(await load(sku, 5)).toBe("loaded");
      expect(await load(sku, 99)).toBe("present");
      expect(await stock.available(sku)).toBe(5);
    });

    test("300 parallel buyers on 50 units: exactly 50 reserved, 250 short, available 0", async () => {
      const sku = newSku();
      await load(sku, 50);
      const results = await Promise.all(range(300).map((i) => reserve({ skuId: sku, orderId: `o${i}`, userId: i + 1 })));
      const reserved = results.filter((r) => r.kind === "reserved");
      expect(reserved.length).toBe(50);
      expect(results.filter((r) => r.kind === "short").length).toBe(250);
      expect(reserved.map((r) => (r.kind === "reserved" ? r.available : -1)).sort((a, b) => a - b)).toEqual(range(50));
      expect(await stock.available(sku)).toBe(0);
    });

    test("reserve is idempotent on the order id; release gives the units back exactly once", async () => {
      const sku = newSku();
      await load(sku, 10);
      expect(await reserve({ skuId: sku, orderId: "a", count: 3 })).toEqual({ kind: "reserved", available: 7 });
      expect(await reserve({ skuId: sku, orderId: "a", count: 3 })).toEqual({ kind: "duplicate" });
      const releases = await Promise.all(range(10).map(() => stock.release(sku, "a")));
      expect(releases.filter((r) => r.kind === "released")).toEqual([{ kind: "released", available: 10 }]);
      expect(releases.filter((r) => r.kind === "not_held").length).toBe(9);
      expect(await stock.available(sku)).toBe(10);
      // A late reserve of a released order is refused, so it cannot leak units.
      expect(await reserve({ skuId: sku, orderId: "a", count: 3 })).toEqual({ kind: "duplicate" });
    });

    test("a short reserve changes nothing", async () => {
      const sku = newSku();
      await load(sku, 2);
      expect(await reserve({ skuId: sku, orderId: "big", count: 3 })).toEqual({ kind: "short", available: 2 });
      expect(await stock.available(sku)).toBe(2);
      expect(await reserve({ skuId: sku, orderId: "big", count: 2 })).toEqual({ kind: "reserved", available: 0 });
    });

    test("per-user limit under 50 parallel reserves by one user: exactly the limit held; release gives it back", async () => {
      const sku = newSku();
      await load(sku, 100);
      const results = await Promise.all(range(50).map((i) => reserve({ skuId: sku, orderId: `u${i}`, userId: 7, limitPerUser: 3 })));
      expect(results.filter((r) => r.kind === "reserved").length).toBe(3);
      expect(results.filter((r) => r.kind === "limit").length).toBe(47);
      expect(await stock.userHeld(sku, 7)).toBe(3);
      expect(await stock.available(sku)).toBe(97);
      const first = results.findIndex((r) => r.kind === "reserved");
      expect((await stock.release(sku, `u${first}`)).kind).toBe("released");
      expect(await stock.userHeld(sku, 7)).toBe(2);
      expect(await reserve({ skuId: sku, orderId: "again", userId: 7, limitPerUser: 3 })).toEqual({ kind: "reserved", available: 97 });
      expect(await reserve({ skuId: sku, orderId: "other-user", userId: 8, limitPerUser: 3, count: 3 })).toEqual({ kind: "reserved", available: 94 });
    });

    test("a settled (paid) reservation is never released; its user keeps the units", async () => {
      const sku = newSku();
      await load(sku, 5);
      await reserve({ skuId: sku, orderId: "p", count: 2, userId: 3 });
      expect(await stock.settle(sku, "p")).toBe(true);
      expect(await stock.settle(sku, "p")).toBe(false);
      expect(await stock.release(sku, "p")).toEqual({ kind: "not_held" });
      expect(await stock.available(sku)).toBe(3);
      expect(await stock.userHeld(sku, 3)).toBe(2);
    });

    test("unlanded lists reservations older than a time until they land or are released", async () => {
      const sku = newSku();
      await load(sku, 10);
      await reserve({ skuId: sku, orderId: "early", nowMs: T0 });
      await reserve({ skuId: sku, orderId: "mid", nowMs: T0 + 10 });
      await reserve({ skuId: sku, orderId: "late", nowMs: T0 + 1000 });
      expect(await stock.unlanded(sku, T0 + 500, 10)).toEqual(["early", "mid"]);
      await stock.landed(sku, ["mid"]);
      expect(await stock.unlanded(sku, T0 + 5000, 10)).toEqual(["early", "late"]);
      await stock.release(sku, "early");
      expect(await stock.unlanded(sku, T0 + 5000, 10)).toEqual(["late"]);
    });

    test("after a rebuild, a reservation the load did not list gives nothing back; a listed one does", async () => {
      const sku = newSku();
      await load(sku, 10);
      await reserve({ skuId: sku, orderId: "landed", count: 2, userId: 4 });
      await reserve({ skuId: sku, orderId: "in-flight", count: 1, userId: 5 });
      await stock.drop(sku);
      expect(await stock.available(sku)).toBeNull();
      // The database shows only "landed" (PREPARE_PAY): available = 10 − 2.
      expect(await load(sku, 8, [{ orderId: "landed", userId: 4, count: 2 }], [{ userId: 4, units: 2 }])).toBe("loaded");
      expect(await stock.userHeld(sku, 4)).toBe(2);
      expect(await stock.userHeld(sku, 5)).toBe(0);
      expect(await stock.release(sku, "in-flight")).toEqual({ kind: "absorbed" });
      expect(await stock.available(sku)).toBe(8);
      expect(await stock.release(sku, "landed")).toEqual({ kind: "released", available: 10 });
      expect(await stock.userHeld(sku, 4)).toBe(0);
    });

    test("a load after the hot store lost everything: reservations of listed orders come back, released ones hand their units back", async () => {
      const sku = newSku();
      // Nothing in the hot store: a cancel released an order it never saw.
      expect(await stock.release(sku, "cancelled-after-read")).toEqual({ kind: "absorbed" });
      // The load read the database before that cancel committed.
      const pending = [
        { orderId: "cancelled-after-read", userId: 6, count: 2 },
        { orderId: "still-pending", userId: 6, count: 1 },
      ];
      expect(await load(sku, 7, pending, [{ userId: 6, units: 3 }])).toBe("loaded");
      expect(await stock.available(sku)).toBe(9);
      expect(await stock.userHeld(sku, 6)).toBe(1);
      expect(await stock.release(sku, "still-pending")).toEqual({ kind: "released", available: 10 });
    });

    test("adjust moves a loaded stock atomically; below zero drops it; unloaded stays unloaded", async () => {
      const sku = newSku();
      expect(await stock.adjust(sku, 5)).toBeNull();
      expect(await stock.available(sku)).toBeNull();
      await load(sku, 3);
      const moves = await Promise.all(range(20).map(() => stock.adjust(sku, 1)));
      expect(moves.filter((m) => m !== null).length).toBe(20);
      expect(await stock.available(sku)).toBe(23);
      expect(await stock.adjust(sku, -23)).toBe(0);
      expect(await stock.adjust(sku, -1)).toBeNull();
      expect(await stock.available(sku)).toBeNull();
    });

    test("bad arguments fail before reaching the store", async () => {
      await expect(reserve({ skuId: newSku(), orderId: "x", count: 0 })).rejects.toThrow(RangeError);
      await expect(reserve({ skuId: 0, orderId: "x" })).rejects.toThrow(RangeError);
      await expect(stock.release(1, "")).rejects.toThrow(RangeError);
      await expect(stock.adjust(1, 1.5)).rejects.toThrow(RangeError);
    });
  });
});
