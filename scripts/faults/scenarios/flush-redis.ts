// FLUSHALL on the private Redis twice mid-burst: every wallet, admission and
// rate-limit window is gone at once; the hot store must rebuild from the
// database and every accepted send still end once.
import { burstThenRetry, type Scenario } from "../scenario.ts";

export const flushRedis: Scenario = {
  name: "flush-redis",
  summary: "FLUSHALL the private Redis at 30% and 70% of a burst",
  async run(rig, opts) {
    const faults = [0.3, 0.7].map((at) => ({ at, name: `FLUSHALL at ${at * 100}%`, run: () => rig.redis.flushAll() }));
    return { counts: await burstThenRetry(rig, opts, faults), violations: [] };
  },
};
