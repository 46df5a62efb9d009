// The bus contract (port.ts: publish/subscribe) on every backend: in process,
// a standalone Redis and a Redis Cluster.
import { beforeAll, describe, expect, test } from "bun:test";
import { describeHotContract, eventually, range } from "../../../test/hot-backends.ts";
import type { Bus } from "./port.ts";

describeHotContract("Bus contract", (ctx) => {
  const { newUser } = ctx;
  let bus: Bus;
  beforeAll(() => {
    bus = ctx.hot().bus;
  });

  describe("publish/subscribe", () => {
    test("every subscriber receives each message in publish order, never inside publish()", async () => {
      const channel = `room:${newUser()}`;
      const a: string[] = [];
      const b: string[] = [];
      await bus.subscribe(channel, (m) => a.push(m));
      await bus.subscribe(channel, (m) => b.push(m));
      const published = bus.publish(channel, "m0");
      expect(a).toEqual([]);
      await published;
      for (const i of range(19)) await bus.publish(channel, `m${i + 1}`);
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
      await bus.subscribe(channel, (m) => kept.push(m));
      const leave = await bus.subscribe(channel, (m) => left.push(m));
      await bus.subscribe(`room:${u}:other`, (m) => other.push(m));
      await bus.publish(channel, "before");
      await eventually(() => kept.length === 1 && left.length === 1);
      await leave();
      await leave(); // a second call is harmless
      await bus.publish(channel, "after");
      // Messages arrive in order, so once `kept` has "after", `left` would have had it too.
      await eventually(() => kept.length === 2);
      expect(kept).toEqual(["before", "after"]);
      expect(left).toEqual(["before"]);
      expect(other).toEqual([]);
    });

    test("the last unsubscribe stops delivery; subscribing again resumes it", async () => {
      const channel = `room:${newUser()}`;
      const first: string[] = [];
      const leave = await bus.subscribe(channel, (m) => first.push(m));
      await leave();
      const second: string[] = [];
      await bus.subscribe(channel, (m) => second.push(m));
      await bus.publish(channel, "m");
      await eventually(() => second.length === 1);
      expect(first).toEqual([]);
    });

    test("a throwing handler does not keep the message from the others", async () => {
      const channel = `room:${newUser()}`;
      const got: string[] = [];
      const quiet = console.error;
      console.error = () => undefined;
      try {
        await bus.subscribe(channel, () => {
          throw new Error("handler bug");
        });
        await bus.subscribe(channel, (m) => got.push(m));
        await bus.publish(channel, "m");
        await eventually(() => got.length === 1);
      } finally {
        console.error = quiet;
      }
    });
  });

  if (ctx.backend.name !== "local") {
    test("messages cross processes sharing a namespace, and never cross namespaces", async () => {
      const channel = `room:${newUser()}`;
      const peer = await ctx.backend.make(ctx.namespace);
      const foreign = await ctx.backend.make(`${ctx.namespace}x`);
      try {
        const got: string[] = [];
        await peer.bus.subscribe(channel, (m) => got.push(m));
        await foreign.bus.publish(channel, "foreign");
        await bus.publish(channel, "hello");
        await eventually(() => got.length === 1);
        expect(got).toEqual(["hello"]);
      } finally {
        await peer.close();
        await foreign.close();
      }
    });
  }
});
