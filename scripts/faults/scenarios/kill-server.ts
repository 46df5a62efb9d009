// kill -9 of the server at several points of a burst, restarted at once each
// time; clients retry (same requestId) every send that got no answer.
import { countAnswers } from "../traffic.ts";
import { CLIENT_TIMEOUT_MS, type Scenario } from "../scenario.ts";

export const KILL_POINTS = [0.2, 0.5, 0.8];

export const killServer: Scenario = {
  name: "kill-server",
  summary: "kill -9 the server at 20%, 50% and 80% of a burst, restart it each time",
  async run(rig, opts) {
    await rig.traffic.burst({
      count: opts.sends,
      concurrency: opts.concurrency,
      timeoutMs: CLIENT_TIMEOUT_MS,
      faults: KILL_POINTS.map((at) => ({
        at,
        name: `kill -9 at ${at * 100}%`,
        run: async () => {
          await rig.server.kill9();
          await rig.restartServer(`after kill -9 at ${at * 100}%`);
        },
      })),
    });
    const firstAnswers = countAnswers(rig.traffic.sends.values());
    const retried = await rig.traffic.retryUnanswered(CLIENT_TIMEOUT_MS);
    return { counts: { firstAnswers, retried, afterRetry: countAnswers(rig.traffic.sends.values()) }, violations: [] };
  },
};
