// One fault scenario's deployment: its own database (on the MariaDB server of
// OVATION_FAULTS_MYSQL_URL, default the local one, or on a private mariadbd
// when the scenario breaks the database), its own redis-server, its
// own Kafka broker and one Ovation server on the cluster profile with the demo
// data, plus the traffic that drives it. close() stops every process it
// started and drops the database (unless kept).
import { createConnection } from "mysql2/promise";
import { faultPorts, freePorts, MockBroker, OvationServer, PrivateMariadb, PrivateRedis, scratchDir } from "./processes.ts";
import { Traffic, log } from "./traffic.ts";

export interface Rig {
  runId: string;
  env: Record<string, string>;
  redis: PrivateRedis;
  /** Only when the scenario asked for a private database. */
  mariadb: PrivateMariadb | undefined;
  broker: MockBroker;
  server: OvationServer;
  traffic: Traffic;
  /** ms from process start to /healthz 200, for every start of the server. */
  starts: { why: string; ms: number }[];
  /** Starts the server again (after a kill or a stop) and records how long it took. */
  restartServer(why: string): Promise<number>;
  close(keep: boolean): Promise<void>;
}

/** `slot`: a port slot of this suite (faultPorts), or "free" for ports the system picks. */
export async function createRig(opts: { users: number; slot: number | "free"; privateDatabase?: boolean }): Promise<Rig> {
  const ports = opts.slot === "free" ? await freePorts() : faultPorts(opts.slot);
  const runId = `f${Date.now().toString(36)}`;
  const scratch = scratchDir();
  const redis = new PrivateRedis(ports.redis, scratch.path);
  const broker = new MockBroker();
  const mariadb = opts.privateDatabase ? new PrivateMariadb(ports.mariadb, scratch.path) : undefined;
  await mariadb?.start();
  const mysqlBase = mariadb?.url ?? process.env.OVATION_FAULTS_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/";
  const dbName = `ovation_faults_${runId}`;
  const admin = await createConnection(mysqlBase);
  await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4`);
  await admin.end();
  const dbUrl = new URL(mysqlBase);
  dbUrl.pathname = `/${dbName}`;

  await redis.start();
  const bootstrap = await broker.start();
  const env: Record<string, string> = {
    OVATION_PROFILE: "cluster",
    OVATION_MYSQL_URL: dbUrl.toString(),
    OVATION_REDIS_URL: redis.url,
    OVATION_KAFKA_BROKERS: bootstrap,
    OVATION_JWT_SECRET: `faults-jwt-${runId}-0123456789`,
    OVATION_PAY_SECRET: `faults-pay-${runId}-0123456789`,
    OVATION_NAMESPACE: runId,
    OVATION_DEMO_SEED: "1",
    OVATION_LOG: "warn",
  };
  const server = new OvationServer(ports.server, env, scratch.path);
  const traffic = new Traffic(() => server.url, env.OVATION_JWT_SECRET!, runId, opts.users);
  const starts: Rig["starts"] = [];
  log(`run ${runId}: database ${dbName}, redis ${redis.url}, broker ${bootstrap}, logs in ${scratch.path}`);

  const rig: Rig = {
    runId,
    env,
    redis,
    mariadb,
    broker,
    server,
    traffic,
    starts,
    async restartServer(why) {
      const ms = await server.start();
      starts.push({ why, ms });
      log(`server listening ${Math.round(ms)} ms after start (${why})`);
      return ms;
    },
    async close(keep) {
      await server.stop().catch(() => undefined);
      await broker.kill();
      await redis.kill9();
      if (keep) {
        await mariadb?.kill9();
        log(`kept database ${dbName} and ${scratch.path}`);
        return;
      }
      if (mariadb) {
        await mariadb.kill9();
      } else {
        const c = await createConnection(mysqlBase);
        await c.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
        await c.end();
      }
      scratch.remove();
    },
  };
  try {
    await rig.restartServer("first start");
    await traffic.setUp();
  } catch (e) {
    await rig.close(true);
    throw e;
  }
  return rig;
}
