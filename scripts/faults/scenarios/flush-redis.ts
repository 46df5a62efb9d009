// FLUSHALL on the private Redis twice mid-burst: every wallet, admission and
// rate-limit window is gone at once; the hot store must rebuild from the
// database and every accepted send still end once.
import { countAnswers } from "../traffic.ts";
import { CLIENT_TIMEOUT_MS, type Scenario } from "../scenario.ts";

export const flushRedis: Scenario = {
  name: "flush-redis",
  summary: "FLUSHALL the private Redis at 30% and 70% of a burst",
  async run(rig, opts) {
    await rig.traffic.burst({
      count: opts.sends,
      concurrency: opts.concurrency,
      timeoutMs: CLIENT_TIMEOUT_MS,
      faults: [0.3, 0.7].map((at) => ({ at, name: `FLUSHALL at ${at * 100}%`, run: () => rig.redis.flushAll() })),
    });
    return { counts: { answers: countAnswers(rig.traffic.sends.values()) }, violations: [] };
  },
};
