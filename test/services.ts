// Which real services the cluster-profile suites can use in this run.
// Found by the preload (test/setup.ts): MariaDB/MySQL and Redis on their
// usual loopback ports (or OVATION_TEST_MYSQL_URL / OVATION_TEST_REDIS_URL),
// Kafka from OVATION_TEST_KAFKA_BROKERS or librdkafka's mock cluster started
// through `kcat`. With OVATION_REQUIRE_SERVICES=1 a missing one fails the run.
import type { Cluster, Redis } from "ioredis";
import { createConnection } from "mysql2/promise";
import { Socket } from "node:net";
import type { Profile } from "../src/config.ts";

export interface Services {
  mysqlUrl?: string;
  redisUrl?: string;
  kafkaBrokers?: string[];
  missing: string[];
}

const g = globalThis as unknown as { __ovationServices?: Services };

export function services(): Services {
  return g.__ovationServices ?? { missing: ["test/setup.ts preload did not run"] };
}

export function setServices(s: Services): void {
  g.__ovationServices = s;
}

/** Whether something accepts TCP connections on host:port. */
export function reachable(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs);
    s.once("connect", () => done(true));
    s.once("timeout", () => done(false));
    s.once("error", () => done(false));
    s.connect(port, host);
  });
}

export function clusterAvailable(): boolean {
  return services().missing.length === 0;
}

/** The profiles every behaviour suite runs on in this run. */
export function profilesUnderTest(): Profile[] {
  return clusterAvailable() ? ["embedded", "cluster"] : ["embedded"];
}

let counter = 0;
/** A name unique to this test run, for databases, key prefixes, topics and groups. */
export function uniqueName(prefix = "t"): string {
  counter += 1;
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36)}${counter}`;
}

/** Creates an empty database on the test MySQL server (or on `base`) and returns its URL. */
export async function freshMysqlDatabase(base = services().mysqlUrl): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!base) throw new Error("no MySQL server for the cluster profile");
  const name = `ovation_${uniqueName()}`;
  const conn = await createConnection(base);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await conn.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = await createConnection(base);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

/**
 * Deletes every key matching `pattern` (on each master, in a cluster) as the
 * scan finds them, one DEL per key in a pipeline (a cluster refuses a DEL
 * across slots); returns how many keys were deleted.
 */
export async function deleteKeys(redis: Redis | Cluster, pattern: string): Promise<number> {
  const nodes = redis.isCluster ? (redis as Cluster).nodes("master") : [redis as Redis];
  let deleted = 0;
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const results = (await node.pipeline(keys.map((key) => ["del", key])).exec()) ?? [];
      for (const [err, n] of results) {
        if (err) throw err;
        deleted += Number(n);
      }
    } while (cursor !== "0");
  }
  return deleted;
}
