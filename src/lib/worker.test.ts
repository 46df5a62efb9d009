// The background-worker primitive (worker.ts): back-off after failed rounds,
// wake-ups, a stop that lets the round in flight finish, and the "one
// process at a time" lease on the real locks of both hot stores.
import { afterEach, describe, expect, test } from "bun:test";
import { eventually } from "../../test/harness.ts";
import { services, uniqueName } from "../../test/services.ts";
import { createLocalHot, createRedisHot, type Hot } from "../hot/index.ts";
import { createLogger } from "./logger.ts";
import { createWorker, type LeaseLock, type Worker, type WorkerOptions } from "./worker.ts";

const logger = createLogger({}, "silent");
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function worker(opts: Partial<WorkerOptions> & Pick<WorkerOptions, "round">): Worker {
  const w = createWorker({ name: "test-worker", logger, idleMs: 20, ...opts });
  cleanups.push(() => w.stop());
  return w;
}

/** A promise with its resolve handle. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

test("a failing round is retried after doubling pauses up to the cap, and success resets them", async () => {
  const startedAt: number[] = [];
  const warnings: unknown[] = [];
  const w = worker({
    logger: { ...logger, warn: (_msg, fields) => warnings.push(fields?.failures) },
    idleMs: 60_000,
    backoff: { initialMs: 40, maxMs: 120 },
    round: async () => {
      startedAt.push(Date.now());
      // Rounds 1-4 fail, 5 succeeds with more waiting, 6 fails again, 7 goes idle.
      if (startedAt.length <= 4 || startedAt.length === 6) throw new Error("store unavailable");
      return startedAt.length === 5;
    },
  });
  w.start();
  await eventually(() => startedAt.length >= 7);
  const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
  expect(gaps[0]).toBeGreaterThanOrEqual(40);
  expect(gaps[1]).toBeGreaterThanOrEqual(80);
  expect(gaps[2]).toBeGreaterThanOrEqual(120); // capped: 160 → 120
  expect(gaps[3]).toBeGreaterThanOrEqual(120);
  // After the success the count starts again: the next failure is the first.
  expect(gaps[5]).toBeGreaterThanOrEqual(40);
  expect(warnings).toEqual([0, 1, 2, 3, 0]);
});

test("more work waiting runs the next round at once; wake() cuts an idle sleep short", async () => {
  let rounds = 0;
  let backlog = 3;
  const w = worker({
    idleMs: 60_000,
    round: async () => {
      rounds++;
      if (backlog === 0) return false;
      backlog--;
      return true;
    },
  });
  w.start();
  // Three rounds with work and one that finds none, without any sleep between.
  await eventually(() => rounds === 4);
  backlog = 1;
  w.wake();
  await eventually(() => rounds === 6);
  expect(backlog).toBe(0);
});

test("stop() lets the round in flight finish and starts no other", async () => {
  const inRound = gate();
  const release = gate();
  let started = 0;
  let finished = 0;
  const w = worker({
    round: async () => {
      started++;
      inRound.open();
      await release.opened;
      finished++;
      return true;
    },
  });
  w.start();
  await inRound.opened;
  let stopped = false;
  const stopping = w.stop().then(() => (stopped = true));
  await Bun.sleep(50);
  expect(stopped).toBe(false);
  release.open();
  await stopping;
  expect([started, finished]).toEqual([1, 1]);
});

interface LockTarget {
  name: string;
  skip?: string;
  open(): Promise<Hot>;
}

const redisUrl = services().redisUrl;
const lockTargets: LockTarget[] = [
  { name: "in-process", open: async () => createLocalHot() },
  {
    name: "redis",
    skip: redisUrl ? undefined : "no Redis for this run",
    open: () => createRedisHot({ url: redisUrl, namespace: uniqueName("worker") }),
  },
];

function guardsLock(hot: Hot): LeaseLock {
  return { acquire: (name, ttlMs) => hot.guards.acquireLock(name, ttlMs), release: (name, token) => hot.guards.releaseLock(name, token) };
}

describe.each(lockTargets)("the worker lease on the $name lock", (target) => {
  const it = test.skipIf(target.skip !== undefined);

  /** Two workers sharing one lease; records who ran each round and the most that ever ran at once. */
  async function twoWorkers(ttlMs: number) {
    const hot = await target.open();
    cleanups.push(() => hot.close());
    const lock = guardsLock(hot);
    const leaseName = uniqueName("lease");
    const rounds: string[] = [];
    let inFlight = 0;
    let mostAtOnce = 0;
    const make = (who: string) =>
      worker({
        name: who,
        lease: { lock, ttlMs, name: leaseName },
        round: async () => {
          mostAtOnce = Math.max(mostAtOnce, ++inFlight);
          rounds.push(who);
          await Bun.sleep(5);
          inFlight--;
          return false;
        },
      });
    const workers = { a: make("a"), b: make("b") };
    return { workers, rounds, mostAtOnce: () => mostAtOnce };
  }

  it("is held by one of two workers; only the holder runs rounds", async () => {
    const { workers, rounds, mostAtOnce } = await twoWorkers(30_000);
    workers.a.start();
    workers.b.start();
    await eventually(() => rounds.length >= 10);
    const holder = rounds[0]!;
    expect(new Set(rounds)).toEqual(new Set([holder]));
    expect([workers.a.holdsLease(), workers.b.holdsLease()].filter(Boolean).length).toBe(1);
    expect(mostAtOnce()).toBe(1);
  });

  it("is taken over by the standby once the holder stops", async () => {
    const { workers, rounds, mostAtOnce } = await twoWorkers(30_000);
    workers.a.start();
    await eventually(() => rounds.length >= 1);
    workers.b.start();
    await eventually(() => rounds.length >= 5);
    const beforeStop = rounds.length;
    await workers.a.stop();
    // The standby may run its first round before stop() resolves to us: on
    // Redis, its acquire can be answered in the same read as the holder's
    // release, and its round then starts ahead of our continuation. So the
    // outcome is the order of rounds, not what ran by the time stop() returned.
    await eventually(() => rounds.includes("b"));
    const firstB = rounds.indexOf("b");
    expect(firstB).toBeGreaterThanOrEqual(beforeStop);
    expect(rounds.slice(0, firstB).every((who) => who === "a")).toBe(true);
    expect(rounds.slice(firstB).every((who) => who === "b")).toBe(true);
    expect(mostAtOnce()).toBe(1);
    expect(workers.b.holdsLease()).toBe(true);
  });

  it("renewed while running: never two rounds at once across many renewals", async () => {
    const { workers, rounds, mostAtOnce } = await twoWorkers(90);
    workers.a.start();
    workers.b.start();
    // 90 ms leases renewed every 30 ms: dozens of hand-backs in this run.
    await eventually(() => rounds.length >= 40);
    await Promise.all([workers.a.stop(), workers.b.stop()]);
    expect(mostAtOnce()).toBe(1);
  });
});
