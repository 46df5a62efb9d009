// The control for kill-server: a clean SIGTERM (drain, then exit) at several
// points of a burst, restarted at once; clients retry unanswered sends.
import { countAnswers } from "../traffic.ts";
import { CLIENT_TIMEOUT_MS, type Scenario } from "../scenario.ts";
import { KILL_POINTS } from "./kill-server.ts";

export const stopServer: Scenario = {
  name: "stop-server",
  summary: "SIGTERM the server at 20%, 50% and 80% of a burst, restart it each time",
  async run(rig, opts) {
    await rig.traffic.burst({
      count: opts.sends,
      concurrency: opts.concurrency,
      timeoutMs: CLIENT_TIMEOUT_MS,
      faults: KILL_POINTS.map((at) => ({
        at,
        name: `SIGTERM at ${at * 100}%`,
        run: async () => {
          await rig.server.stop();
          await rig.restartServer(`after SIGTERM at ${at * 100}%`);
        },
      })),
    });
    const firstAnswers = countAnswers(rig.traffic.sends.values());
    const retried = await rig.traffic.retryUnanswered(CLIENT_TIMEOUT_MS);
    return { counts: { firstAnswers, retried, afterRetry: countAnswers(rig.traffic.sends.values()) }, violations: [] };
  },
};
