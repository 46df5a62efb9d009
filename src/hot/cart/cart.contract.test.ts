// The cart contract (port.ts) on every backend: the in-process maps, a
// standalone Redis and a Redis Cluster.
import { beforeAll, describe, expect, test } from "bun:test";
import { describeHotContract, range } from "../../../test/hot-backends.ts";
import type { HotCart } from "./port.ts";

describeHotContract("HotCart contract", (ctx) => {
  let cart: HotCart;
  const ROOM = 9;
  const TTL = 600;
  beforeAll(() => {
    cart = ctx.hot().cart;
  });

  describe("cart", () => {
    test("add, set, remove, clear", async () => {
      const u = ctx.newUser();
      expect(await cart.items(u, ROOM)).toEqual(new Map());
      expect(await cart.add(u, ROOM, 11, 1, 99, TTL)).toEqual({ kind: "added", count: 1 });
      expect(await cart.add(u, ROOM, 11, 2, 99, TTL)).toEqual({ kind: "added", count: 3 });
      expect(await cart.add(u, ROOM, 12, 5, 99, TTL)).toEqual({ kind: "added", count: 5 });
      expect(await cart.items(u, ROOM)).toEqual(new Map([[11, 3], [12, 5]]));
      // Another room of the same user is another cart.
      expect(await cart.items(u, ROOM + 1)).toEqual(new Map());
      await cart.set(u, ROOM, 11, 7, TTL);
      await cart.set(u, ROOM, 12, 0, TTL);
      expect(await cart.items(u, ROOM)).toEqual(new Map([[11, 7]]));
      await cart.add(u, ROOM, 13, 1, 99, TTL);
      await cart.remove(u, ROOM, [11, 404]);
      expect(await cart.items(u, ROOM)).toEqual(new Map([[13, 1]]));
      await cart.clear(u, ROOM);
      expect(await cart.items(u, ROOM)).toEqual(new Map());
    });

    test("50 parallel adds against a ceiling of 10: exactly 10 land", async () => {
      const u = ctx.newUser();
      const results = await Promise.all(range(50).map(() => cart.add(u, ROOM, 21, 1, 10, TTL)));
      expect(results.filter((r) => r.kind === "added").length).toBe(10);
      expect(results.filter((r) => r.kind === "over").length).toBe(40);
      expect(await cart.items(u, ROOM)).toEqual(new Map([[21, 10]]));
    });

    test("checkout reads the lines and marks the request id once", async () => {
      const u = ctx.newUser();
      expect(await cart.checkout(u, ROOM, "req-1", TTL)).toEqual({ lines: new Map(), seen: false });
      await cart.add(u, ROOM, 31, 2, 99, TTL);
      await cart.add(u, ROOM, 32, 1, 99, TTL);
      expect(await cart.checkout(u, ROOM, "req-1", TTL)).toEqual({ lines: new Map([[31, 2], [32, 1]]), seen: true });
      // The mark is the user's, whatever the room; another user's is another mark.
      expect((await cart.checkout(u, ROOM + 1, "req-1", TTL)).seen).toBe(true);
      expect((await cart.checkout(ctx.newUser(), ROOM, "req-1", TTL)).seen).toBe(false);
      // Without a request id nothing is marked.
      expect(await cart.checkout(u, ROOM, undefined, TTL)).toEqual({ lines: new Map([[31, 2], [32, 1]]), seen: false });
      expect((await cart.checkout(u, ROOM, "req-2", TTL)).seen).toBe(false);
    });

    test("20 parallel checkouts of one request id: exactly one finds it unmarked", async () => {
      const u = ctx.newUser();
      const reads = await Promise.all(range(20).map(() => cart.checkout(u, ROOM, "rush", TTL)));
      expect(reads.filter((r) => !r.seen).length).toBe(1);
    });

    test("bad arguments fail before reaching the store", async () => {
      await expect(cart.checkout(ctx.newUser(), ROOM, "", TTL)).rejects.toThrow(RangeError);
      await expect(cart.checkout(ctx.newUser(), ROOM, "r", 0)).rejects.toThrow(RangeError);
      await expect(cart.add(ctx.newUser(), ROOM, 1, 0, 99, TTL)).rejects.toThrow(RangeError);
      await expect(cart.set(ctx.newUser(), ROOM, 1, -1, TTL)).rejects.toThrow(RangeError);
      await expect(cart.items(0, ROOM)).rejects.toThrow(RangeError);
    });
  });
});
