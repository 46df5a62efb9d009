// The event log's publish() adapter over the general group commit: callers of
// one tick on different topics go out in ONE write (one transaction on
// SQLite, one producer send on Kafka), each topic's records in call order,
// and every caller is answered by that write's outcome. The write here is a
// function that records its batches and finishes when told to, so nothing
// depends on timing beyond the linger the callers share.
import { describe, expect, test } from "bun:test";
import { createGroupCommit, EventLogClosedError, type TopicRecords } from "./group-commit.ts";

const rec = (key: string, value: string) => ({ key, value });

/** A write that records each batch and settles only when the test says so. */
function heldWrites() {
  const batches: TopicRecords[] = [];
  const pending: { release(): void; fail(e: unknown): void }[] = [];
  const write = (batch: TopicRecords) =>
    new Promise<void>((resolve, reject) => {
      batches.push(batch);
      pending.push({ release: resolve, fail: reject });
    });
  const started = async (n: number) => {
    while (batches.length < n) await Bun.sleep(1);
  };
  return { batches, pending, write, started };
}

/** Whether `p` has settled, looked at after a turn of the event loop. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await Bun.sleep(0);
  return done;
}

describe("event log group commit", () => {
  test("publishes of one tick on two topics go out in one write, each topic in call order, answered by it", async () => {
    const w = heldWrites();
    const gc = createGroupCommit(w.write, { lingerMs: 5, maxRecords: 1000 });
    const a1 = gc.publish("gifts", [rec("u1", "g1"), rec("u2", "g2")]);
    const b = gc.publish("pay", [rec("u9", "p1")]);
    const a2 = gc.publish("gifts", [rec("u1", "g3")]);
    await w.started(1);
    expect(w.batches).toHaveLength(1);
    expect([...w.batches[0]!.entries()]).toEqual([
      ["gifts", [rec("u1", "g1"), rec("u2", "g2"), rec("u1", "g3")]],
      ["pay", [rec("u9", "p1")]],
    ]);
    expect(await settled(a1)).toBe(false);
    expect(await settled(b)).toBe(false);
    w.pending[0]!.release();
    await Promise.all([a1, b, a2]);
    expect(w.batches).toHaveLength(1);
    await gc.close();
  });

  test("a failed write rejects every caller it carried, on every topic; the next write is separate", async () => {
    const w = heldWrites();
    const gc = createGroupCommit(w.write, { lingerMs: 5, maxRecords: 1000 });
    const a = gc.publish("gifts", [rec("u1", "g1")]);
    const b = gc.publish("pay", [rec("u2", "p1")]);
    await w.started(1);
    const outcomes = Promise.allSettled([a, b]);
    w.pending[0]!.fail(new Error("disk full"));
    expect((await outcomes).map((o) => (o.status === "rejected" ? String(o.reason) : o.status))).toEqual(["Error: disk full", "Error: disk full"]);
    const c = gc.publish("gifts", [rec("u3", "g2")]);
    await w.started(2);
    expect([...w.batches[1]!.keys()]).toEqual(["gifts"]);
    w.pending[1]!.release();
    await c;
    await gc.close();
  });

  test("after close() a publish is refused; an empty publish writes nothing", async () => {
    const w = heldWrites();
    const gc = createGroupCommit(w.write, { lingerMs: 5, maxRecords: 1000 });
    await gc.publish("gifts", []);
    await gc.close();
    await expect(gc.publish("gifts", [rec("u1", "g1")])).rejects.toBeInstanceOf(EventLogClosedError);
    expect(w.batches).toHaveLength(0);
  });
});
