// The database crashed (kill -9 of a private mariadbd: InnoDB recovers at the
// next start) at half a burst and kept down for the outage length while sends
// go on; then restarted and the burst finishes. Whatever a send answered
// meanwhile, every accepted one must end once the database is back.
import { countAnswers, log, type SendRecord } from "../traffic.ts";
import { burstThenRetry, type Scenario } from "../scenario.ts";
import { OUTAGE_CLIENT_TIMEOUT_MS, OUTAGE_SENDS_PER_SEC } from "./stop-redis.ts";

export const crashDatabase: Scenario = {
  name: "crash-database",
  summary: "kill -9 a private mariadbd at 50% of a burst, send while it is down, restart it",
  privateDatabase: true,
  async run(rig, opts) {
    const mariadb = rig.mariadb!;
    let outage: SendRecord[] = [];
    const counts = await burstThenRetry(rig, opts, [
      {
        at: 0.5,
        name: "database killed",
        run: async () => {
          await mariadb.kill9();
          log(`database down for ${opts.outageSec} s`);
          outage = await rig.traffic.trickle(opts.outageSec, OUTAGE_SENDS_PER_SEC, OUTAGE_CLIENT_TIMEOUT_MS);
          await mariadb.start();
          log("database back");
        },
      },
    ]);
    const slowestOutageMs = Math.round(Math.max(0, ...outage.map((s) => s.ms)));
    return { counts: { outageAnswers: countAnswers(outage), slowestOutageMs, ...counts }, violations: [] };
  },
};
