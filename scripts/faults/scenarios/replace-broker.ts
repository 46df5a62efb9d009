// The Kafka broker killed mid-burst and replaced by a new, empty one (the
// mock keeps nothing, as a broker that lost its disk): sends meanwhile must
// be refused, not accepted; the server is then pointed at the new broker
// (a clean restart: the old address is gone) and the burst goes on.
import { countAnswers, log, type SendRecord } from "../traffic.ts";
import { burstThenRetry, CLIENT_TIMEOUT_MS, type Scenario } from "../scenario.ts";

/** Sends fired while no broker runs. */
const SENDS_WITHOUT_BROKER = 20;

export const replaceBroker: Scenario = {
  name: "replace-broker",
  summary: "kill the broker at 50% of a burst, send while it is gone, start a new one and repoint the server",
  async run(rig, opts) {
    let withoutBroker: SendRecord[] = [];
    const counts = await burstThenRetry(rig, opts, [
      {
        at: 0.5,
        name: "broker killed and replaced",
        run: async () => {
          await rig.broker.kill();
          withoutBroker = await Promise.all(Array.from({ length: SENDS_WITHOUT_BROKER }, () => rig.traffic.send(CLIENT_TIMEOUT_MS)));
          log(`sends without a broker: ${JSON.stringify(countAnswers(withoutBroker))}`);
          const bootstrap = await rig.broker.start();
          await rig.server.stop();
          rig.server.setEnv({ OVATION_KAFKA_BROKERS: bootstrap });
          rig.env.OVATION_KAFKA_BROKERS = bootstrap;
          await rig.restartServer("on the new broker");
        },
      },
    ]);
    return { counts: { withoutBroker: countAnswers(withoutBroker), ...counts }, violations: [] };
  },
};
