// The general group commit: coalescing, each caller's own outcome, a failed
// run, the size bound, runs in flight, timeouts and close. Runs are held open
// by hand, so nothing here depends on timing.
import { describe, expect, test } from "bun:test";
import { groupCommit, runAloneOnFailure, type BatchRun } from "./group-commit.ts";

const errors = { timeout: (ms: number) => new Error(`timeout ${ms}`), closed: () => new Error("closed") };

/** A run that records its batches and finishes each only when told to. */
function heldRuns<R>(answer: (item: number) => PromiseSettledResult<R>) {
  const batches: number[][] = [];
  const pending: { release(): void; fail(e: unknown): void }[] = [];
  let active = 0;
  let maxActive = 0;
  const run: BatchRun<number, R> = (items) =>
    new Promise((resolve, reject) => {
      batches.push(items);
      active++;
      maxActive = Math.max(maxActive, active);
      pending.push({
        release: () => {
          active--;
          resolve(items.map(answer));
        },
        fail: (e) => {
          active--;
          reject(e);
        },
      });
    });
  return { run, batches, pending, maxActive: () => maxActive };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await Bun.sleep(1);
};

describe("group commit", () => {
  test("callers of one tick share a run; each gets its own result or error", async () => {
    const h = heldRuns<number>((i) => (i % 3 === 0 ? { status: "rejected", reason: new Error(`refused ${i}`) } : { status: "fulfilled", value: i * 10 }));
    const gc = groupCommit(h.run, { lingerMs: 1, maxSize: 100 }, errors);
    const calls = [1, 2, 3, 4].map((i) => gc.submit(i));
    await until(() => h.pending.length === 1);
    h.pending[0]!.release();
    const settled = await Promise.allSettled(calls);
    expect(h.batches).toEqual([[1, 2, 3, 4]]);
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value : (s.reason as Error).message))).toEqual([10, 20, "refused 3", 40]);
  });

  test("a run that fails rejects every caller of its batch, and only them", async () => {
    const h = heldRuns<number>((i) => ({ status: "fulfilled", value: i }));
    const gc = groupCommit(h.run, { lingerMs: 1, maxSize: 100 }, errors);
    const first = Promise.allSettled([1, 2].map((i) => gc.submit(i)));
    await until(() => h.pending.length === 1);
    const second = [3, 4].map((i) => gc.submit(i));
    h.pending[0]!.fail(new Error("store down"));
    await until(() => h.pending.length === 2);
    h.pending[1]!.release();
    expect((await first).map((s) => s.status)).toEqual(["rejected", "rejected"]);
    expect(await Promise.all(second)).toEqual([3, 4]);
    // Callers that arrived while a run was in flight went together in the next.
    expect(h.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  test("maxSize bounds a run (sizes counted, an item never split); maxInFlight bounds the runs at once", async () => {
    const h = heldRuns<number>((i) => ({ status: "fulfilled", value: i }));
    const gc = groupCommit(h.run, { lingerMs: 1, maxSize: 4, maxInFlight: 2 }, errors);
    const calls = [
      gc.submit(1, 3),
      gc.submit(2, 1),
      gc.submit(3, 2),
      gc.submit(4, 3),
      gc.submit(5, 1),
    ];
    await until(() => h.pending.length === 2);
    expect(h.batches).toEqual([[1, 2], [3]]);
    h.pending[0]!.release();
    await until(() => h.pending.length === 3);
    h.pending[1]!.release();
    h.pending[2]!.release();
    expect(await Promise.all(calls)).toEqual([1, 2, 3, 4, 5]);
    expect(h.batches).toEqual([[1, 2], [3], [4, 5]]);
    expect(h.maxActive()).toBe(2);
  });

  test("with timeoutMs, a caller in flight and one waiting both settle in time; later callers still run", async () => {
    const h = heldRuns<number>((i) => ({ status: "fulfilled", value: i }));
    const gc = groupCommit(h.run, { lingerMs: 1, maxSize: 100, timeoutMs: 50 }, errors);
    const inFlight = gc.submit(1);
    await until(() => h.pending.length === 1);
    const waiting = gc.submit(2);
    expect((await Promise.allSettled([inFlight, waiting])).map((s) => (s.status === "rejected" ? (s.reason as Error).message : s.value))).toEqual([
      "timeout 50",
      "timeout 50",
    ]);
    h.pending.forEach((p) => p.release());
    const later = gc.submit(3);
    await until(() => h.batches.at(-1)?.includes(3) === true);
    h.pending.forEach((p) => p.release());
    expect(await later).toBe(3);
    expect(h.batches[0]).toEqual([1]);
  });

  test('lingerMs "next-turn": the first run starts on the next turn with every caller of this one; later runs start as the previous ends', async () => {
    const h = heldRuns<number>((i) => ({ status: "fulfilled", value: i }));
    const gc = groupCommit(h.run, { lingerMs: "next-turn", maxSize: 100 }, errors);
    const first = gc.submit(1);
    await Promise.resolve();
    const second = gc.submit(2);
    expect(h.batches).toEqual([]);
    // An immediate queued after the first submit's runs after the linger's:
    // by then the run has started, no timer involved.
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.batches).toEqual([[1, 2]]);
    const during = [3, 4].map((i) => gc.submit(i));
    h.pending[0]!.release();
    await until(() => h.pending.length === 2);
    h.pending[1]!.release();
    expect(await Promise.all([first, second, ...during])).toEqual([1, 2, 3, 4]);
    expect(h.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  test("close refuses new callers and waits for those accepted before", async () => {
    const h = heldRuns<number>((i) => ({ status: "fulfilled", value: i }));
    const gc = groupCommit(h.run, { lingerMs: 1, maxSize: 100 }, errors);
    const accepted = gc.submit(1);
    let closed = false;
    const closing = gc.close().then(() => (closed = true));
    await expect(gc.submit(2)).rejects.toThrow("closed");
    await until(() => h.pending.length === 1);
    expect(closed).toBe(false);
    h.pending[0]!.release();
    await closing;
    expect(await accepted).toBe(1);
    expect(h.batches).toEqual([[1]]);
  });

  test("runAloneOnFailure: a failed batch is run again item by item, so only the item that failed it fails; inOrder runs them one after another", async () => {
    for (const inOrder of [false, true]) {
      const runs: number[][] = [];
      let active = 0;
      let maxActive = 0;
      const splits: number[] = [];
      const run = runAloneOnFailure(
        async (items: number[]) => {
          runs.push(items);
          maxActive = Math.max(maxActive, ++active);
          await Promise.resolve();
          active--;
          if (items.includes(3)) throw new Error("3 is taken");
          return items.map((i) => i * 10);
        },
        { inOrder, onSplit: (_err, size) => splits.push(size) },
      );
      const outcomes = await run([1, 2, 3, 4]);
      expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as Error).message))).toEqual([10, 20, "3 is taken", 40]);
      expect(runs).toEqual([[1, 2, 3, 4], [1], [2], [3], [4]]);
      expect(splits).toEqual([4]);
      expect(maxActive).toBe(inOrder ? 1 : 4);
      // A batch of one is not split: its error is the run's.
      await expect(run([3])).rejects.toThrow("3 is taken");
      expect(splits).toEqual([4]);
    }
  });
});
