// The Ovation a load script talks to: an existing deployment at a base URL,
// or (--spawn embedded|cluster) a fresh one started here as a child process on
// a port of its own — a temporary SQLite file, or a fresh MariaDB database, a
// Redis namespace of its own and librdkafka's mock Kafka cluster. A spawned
// deployment is removed again by stop().
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { Profile } from "../../src/config.ts";
import { startMockKafka } from "../../test/mock-kafka.ts";
import { deleteKeys, freshMysqlDatabase, uniqueName } from "../../test/services.ts";

export interface Target {
  baseUrl: string;
  /** "embedded" | "cluster" when spawned; whatever the operator says otherwise. */
  profile: string;
  /** The environment that configures the deployment (for the invariant checker). */
  env: Record<string, string | undefined>;
  /** The token secret when known: tokens are then signed here instead of asked for. */
  jwtSecret: string | undefined;
  /** Peak resident set size of the spawned server, in MB (undefined for a remote one). */
  peakRssMb(): number | undefined;
  /** CPU time (user + system) the spawned server used so far, in ms (undefined for a remote one). */
  cpuMs(): number | undefined;
  /**
   * Makes every user's hot wallet cold (a spawned server only): the cluster
   * profile deletes the wallets from its Redis namespace, the embedded one
   * restarts the server (its hot store lives in the process). Admissions,
   * the database and the event log are untouched.
   */
  dropHotWallets?(): Promise<void>;
  stop(): Promise<void>;
}

export interface TargetOptions {
  url: string;
  spawn: string | undefined;
  port: number;
  mysqlUrl: string;
  redisUrl: string;
}

const SPAWN_SECRET = "load-secret-0123456789abcdef";

export async function openTarget(o: TargetOptions): Promise<Target> {
  if (!o.spawn) {
    return {
      baseUrl: o.url.replace(/\/$/, ""),
      profile: process.env.OVATION_PROFILE ?? "embedded",
      env: process.env,
      jwtSecret: process.env.OVATION_JWT_SECRET,
      peakRssMb: () => undefined,
      cpuMs: () => undefined,
      stop: async () => undefined,
    };
  }
  if (o.spawn !== "embedded" && o.spawn !== "cluster") throw new Error(`--spawn must be embedded or cluster, got "${o.spawn}"`);
  return spawnServer(o.spawn, o);
}

export type Cleanup = () => Promise<void> | void;

export interface DeploymentEnvOptions {
  /** Names the Redis namespace (uniqueName(name)) and the temporary SQLite dir (ovation-<name>-…). */
  name: string;
  /** The MariaDB server the cluster profile's fresh database is created on. */
  mysqlUrl: string;
  /** The Redis the cluster profile uses (under the namespace). */
  redisUrl: string;
}

/**
 * What a fresh deployment of `profile` needs around it, and the environment
 * that points a server at it: a temporary SQLite file, or a fresh MariaDB
 * database, the Redis namespace and librdkafka's mock Kafka cluster. The
 * caller adds its own secrets, port and switches to `env`, and runs
 * `cleanups` in reverse when done (on a failure here they have been run).
 */
export async function deploymentEnv(profile: Profile, o: DeploymentEnvOptions): Promise<{ env: Record<string, string>; cleanups: Cleanup[] }> {
  const cleanups: Cleanup[] = [];
  const env: Record<string, string> = {
    OVATION_PROFILE: profile,
    OVATION_NAMESPACE: uniqueName(o.name),
    OVATION_LOG: process.env.OVATION_LOG ?? "warn",
    HOST: "127.0.0.1",
    // The one consumer tuning a measurement varies (docs/benchmarks.md).
    ...(process.env.OVATION_KAFKA_FETCH_WAIT_MS ? { OVATION_KAFKA_FETCH_WAIT_MS: process.env.OVATION_KAFKA_FETCH_WAIT_MS } : {}),
  };
  try {
    if (profile === "embedded") {
      const dir = mkdtempSync(join(tmpdir(), `ovation-${o.name}-`));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      env.OVATION_SQLITE_PATH = join(dir, "ovation.db");
    } else {
      const db = await freshMysqlDatabase(o.mysqlUrl);
      cleanups.push(db.drop);
      const mock = await startMockKafka(3);
      if (!mock) throw new Error("could not start the mock Kafka cluster (is kcat installed?)");
      cleanups.push(() => mock.kill());
      process.on("exit", () => void mock.kill());
      env.OVATION_MYSQL_URL = db.url;
      env.OVATION_REDIS_URL = o.redisUrl;
      env.OVATION_KAFKA_BROKERS = mock.bootstrap.join(",");
    }
  } catch (e) {
    await runCleanups(cleanups);
    throw e;
  }
  return { env, cleanups };
}

async function spawnServer(profile: Profile, o: TargetOptions): Promise<Target> {
  const deployment = await deploymentEnv(profile, { name: "load", mysqlUrl: o.mysqlUrl, redisUrl: o.redisUrl });
  const cleanups = deployment.cleanups;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...deployment.env,
    OVATION_JWT_SECRET: SPAWN_SECRET,
    OVATION_PAY_SECRET: SPAWN_SECRET,
    OVATION_DEV_LOGIN: "1",
    OVATION_DEMO_SEED: "1",
    PORT: String(o.port),
  };
  try {
    // OVATION_LOAD_CPU_PROF=<dir>: the server writes a CPU profile (.cpuprofile and .md) there when it stops.
    const profDir = process.env.OVATION_LOAD_CPU_PROF;
    const prof = profDir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${profDir}`] : [];
    const start = () => Bun.spawn([process.execPath, ...prof, "run", "src/main.ts"], { env, stdout: "inherit", stderr: "inherit", stdin: "ignore" });
    let proc = start();
    const stopProc = async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    };
    process.on("exit", () => proc.kill("SIGKILL"));
    // Interrupted: still remove the database and stop the server and broker.
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => void runCleanups(cleanups).finally(() => process.exit(130)));
    }
    const baseUrl = `http://127.0.0.1:${o.port}`;
    await waitReady(baseUrl, proc);
    cleanups.push(stopProc);
    return {
      baseUrl,
      profile,
      env,
      jwtSecret: SPAWN_SECRET,
      peakRssMb: () => Math.round(peakRssKb(proc.pid) / 1024),
      cpuMs: () => cpuMs(proc.pid),
      async dropHotWallets() {
        if (profile === "embedded") {
          await stopProc();
          proc = start();
          await waitReady(baseUrl, proc);
        } else {
          const redis = new Redis(env.OVATION_REDIS_URL!);
          try {
            const pattern = `${env.OVATION_NAMESPACE}:{w:*}:wallet:*`;
            if ((await deleteKeys(redis, pattern)) === 0) throw new Error(`dropping the hot wallets deleted no key matching ${pattern}: the wallet key layout has changed?`);
          } finally {
            redis.disconnect();
          }
        }
      },
      stop: () => runCleanups(cleanups),
    };
  } catch (e) {
    await runCleanups(cleanups);
    throw e;
  }
}

export async function runCleanups(cleanups: Cleanup[]): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** VmHWM: the kernel's own high-water mark of the process's resident memory. */
function peakRssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms). */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function waitReady(baseUrl: string, proc: { exitCode: number | null }): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`the server exited with ${proc.exitCode} while starting`);
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  throw new Error(`${baseUrl}/readyz did not answer 200 within 60 s`);
}
