// Builds real deployments for behaviour tests: the embedded profile on a
// temporary SQLite file, the cluster profile on a fresh MariaDB database, the
// test Redis and the Kafka broker of this run, each under its own namespace.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config, type Profile } from "../src/config.ts";
import { createDeps, type Deps, type DepsOptions } from "../src/deps.ts";
import { createLocalHot } from "../src/hot/index.ts";
import { signToken, type Role } from "../src/lib/auth.ts";
import { startServer, type RunningServer } from "../src/server.ts";
import { freshMysqlDatabase, services, uniqueName } from "./services.ts";

export interface Deployment {
  profile: Profile;
  config: Config;
  /** The environment that configures this deployment, for child processes. */
  env: Record<string, string>;
  /** Another process of the same deployment (shares stores; own caches and connections). */
  spawn(options?: DepsOptions & { consumers?: boolean }): Promise<Deps>;
  destroy(): Promise<void>;
}

/** librdkafka's mock makes a joining member wait a session timeout; keep it short in tests. */
const TEST_KAFKA_TIMINGS = { sessionTimeout: 6000, rebalanceTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 };

export const TEST_SECRET = "test-secret-0123456789abcdef";

/** A deployment's configuration; nothing is started yet. */
export async function createDeployment(profile: Profile, env: Record<string, string> = {}): Promise<Deployment> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const base: Record<string, string> = {
    OVATION_PROFILE: profile,
    OVATION_JWT_SECRET: TEST_SECRET,
    OVATION_PAY_SECRET: "pay-secret-0123456789abcdef",
    OVATION_NAMESPACE: uniqueName("ns"),
    OVATION_DEV_LOGIN: "1",
    OVATION_LOG: process.env.OVATION_LOG ?? "silent",
    HOST: "127.0.0.1",
    PORT: "0",
  };
  if (profile === "embedded") {
    const dir = mkdtempSync(join(tmpdir(), "ovation-test-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    base.OVATION_SQLITE_PATH = join(dir, "ovation.db");
  } else {
    const s = services();
    const db = await freshMysqlDatabase();
    cleanups.push(db.drop);
    base.OVATION_MYSQL_URL = db.url;
    base.OVATION_REDIS_URL = s.redisUrl!;
    base.OVATION_KAFKA_BROKERS = s.kafkaBrokers!.join(",");
  }
  const fullEnv = { ...base, ...env };
  const config = loadConfig(fullEnv);
  const processes: Deps[] = [];
  // The embedded hot store lives in one process; the deployment's "other
  // processes" share it, as a pool shares Redis, and it outlives them.
  const sharedHot = profile === "embedded" ? createLocalHot({ retryWindowSec: config.sendRetryWindowSec }) : undefined;
  if (sharedHot) cleanups.push(() => sharedHot.close());

  return {
    profile,
    config,
    env: fullEnv,
    async spawn(options = {}) {
      const deps = await createDeps(config, { kafkaConsumer: TEST_KAFKA_TIMINGS, ...options, hot: options.hot ?? sharedHot });
      await deps.start({ consumers: options.consumers ?? true });
      processes.push(deps);
      return deps;
    },
    async destroy() {
      for (const d of processes.splice(0).reverse()) await d.close().catch(() => undefined);
      for (const c of cleanups.reverse()) await c();
    },
  };
}

export async function token(userId: number, role: Role): Promise<string> {
  return signToken(TEST_SECRET, { userId, role });
}

export interface Client {
  url: string;
  call<T = unknown>(method: string, path: string, opts?: { as?: { userId: number; role: Role } | string; body?: unknown }): Promise<{ status: number; code: number; msg: string; data: T }>;
}

/** A running server for a deps, and a JSON client for it. */
export async function serve(deps: Deps): Promise<{ server: RunningServer; client: Client }> {
  const server = await startServer(deps, { port: 0 });
  const client: Client = {
    url: server.url,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (opts.as) headers.authorization = `Bearer ${typeof opts.as === "string" ? opts.as : await token(opts.as.userId, opts.as.role)}`;
      const res = await fetch(server.url + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
      const json = (await res.json()) as { code: number; msg: string; data: never };
      return { status: res.status, ...json };
    },
  };
  return { server, client };
}

/** A WebSocket client that records every message it receives. */
export async function wsClient(baseUrl: string, userId: number, roomId: number): Promise<{ messages: { type: string; data: any; bizCode?: number }[]; close(): void }> {
  const t = await token(userId, "viewer");
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws?token=${t}&roomId=${roomId}`);
  const messages: { type: string; data: any }[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.onmessage = (ev) => {
      const m = JSON.parse(String(ev.data));
      messages.push(m);
      if (m.type === "welcome") resolve();
    };
    ws.onerror = () => reject(new Error("websocket failed"));
  });
  return { messages, close: () => ws.close() };
}

/** Polls `f` until it returns a truthy value or the time runs out. */
export async function eventually<T>(f: () => Promise<T> | T, timeoutMs = 15000, stepMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await Bun.sleep(stepMs);
  }
}

/**
 * Loads the user's hot wallet from the database row as it is now (tests that
 * plant drift: load while the row holds one balance, then change the row).
 */
export async function loadHotWallet(deps: Deps, userId: number): Promise<void> {
  const acc = await deps.wallet.account(userId);
  const loaded = await deps.hot.coins.loadAvailable(userId, acc.balance, acc.version);
  if (loaded === "stale") throw new Error(`user ${userId}: the hot store saw a credit newer than the row`);
}
