// The server stopped at several points of a burst and restarted at once each
// time: by kill -9 (nothing drains) or, as the control, by SIGTERM (in-flight
// requests and the consumer's batch drain first). Clients retry (same
// requestId) every send that got no answer.
import type { OvationServer } from "../processes.ts";
import { burstThenRetry, type Scenario } from "../scenario.ts";

const STOP_POINTS = [0.2, 0.5, 0.8];

function restartScenario(name: string, how: string, stop: (server: OvationServer) => Promise<void>): Scenario {
  return {
    name,
    summary: `${how} the server at 20%, 50% and 80% of a burst, restart it each time`,
    async run(rig, opts) {
      const counts = await burstThenRetry(
        rig,
        opts,
        STOP_POINTS.map((at) => ({
          at,
          name: `${how} at ${at * 100}%`,
          run: async () => {
            await stop(rig.server);
            await rig.restartServer(`after ${how} at ${at * 100}%`);
          },
        })),
      );
      return { counts, violations: [] };
    },
  };
}

export const killServer = restartScenario("kill-server", "kill -9", (s) => s.kill9());
export const stopServer = restartScenario("stop-server", "SIGTERM", (s) => s.stop());
