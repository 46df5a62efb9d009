// Configuration from the environment. Every setting is parsed once at
// boot; a missing or malformed one stops start-up with one line naming it.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { LOG_LEVELS, type LogLevel } from "./lib/logger.ts";

export type Profile = "embedded" | "cluster";

export interface Config {
  profile: Profile;
  host: string;
  port: number;
  sqlitePath: string;
  mysqlUrl: string | undefined;
  redisUrl: string | undefined;
  redisCluster: string[] | undefined;
  kafkaBrokers: string[] | undefined;
  /** Longest a consumer's fetch waits at the broker for data (OVATION_KAFKA_FETCH_WAIT_MS). */
  kafkaFetchWaitMs: number;
  workers: number;
  jwtSecret: string;
  devLogin: boolean;
  demoSeed: boolean;
  paySecret: string;
  orderTtlSec: number;
  stockSyncSec: number;
  /** How long a finished gift send's admission answers retries with its first outcome (OVATION_SEND_RETRY_WINDOW_SEC). */
  sendRetryWindowSec: number;
  /** A pending gift send older than this is re-published by the re-drive sweeper (OVATION_SEND_REDRIVE_SEC). */
  sendRedriveSec: number;
  /** Base URL the sandbox provider delivers notifications to; defaults to this server. */
  publicUrl: string;
  /** Prefix for topics, consumer groups and hot-store keys; lets tests share one broker. */
  namespace: string;
  /** Log threshold (OVATION_LOG). */
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable}: ${problem}`);
  }
}

/**
 * A store or port named by the settings could not be used at start-up (a
 * database that does not exist, a broker nobody answers on, a port in use).
 * `setting` names what the operator should look at.
 */
export class StartupError extends Error {
  constructor(readonly setting: string, problem: string, options?: ErrorOptions) {
    super(`${setting}: ${problem}`, options);
  }
}

/** Runs one start-up step on `target`; a failure becomes a StartupError naming `setting`, in one line. */
export async function blaming<T>(setting: string, target: string, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof StartupError || e instanceof ConfigError) throw e;
    const err = e as Error & { code?: string; errors?: Error[] };
    // Node-style connect errors may be an AggregateError with an empty message.
    const message = (err.message || err.errors?.map((x) => x.message).join("; ") || String(e)).replace(/\s+/g, " ").trim();
    const code = err.code && !message.includes(err.code) ? ` (${err.code})` : "";
    throw new StartupError(setting, `${target ? `${target}: ` : ""}${message}${code}`, { cause: e });
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function flag(env: Env, name: string): boolean {
  const raw = str(env, name);
  if (raw === undefined || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new ConfigError(name, `must be 0 or 1, got "${raw}"`);
}

function hostPorts(env: Env, name: string): string[] | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  const list = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const hp of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(hp)) throw new ConfigError(name, `"${hp}" is not host:port`);
  }
  if (list.length === 0) throw new ConfigError(name, "is empty");
  return list;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => p + "//").join(" or ")}`);
  }
  return raw;
}

/**
 * Secrets in the embedded profile: generated once and kept beside the SQLite
 * file so tokens and signatures survive restarts. An in-memory store gets
 * fresh secrets per process.
 */
function embeddedSecret(sqlitePath: string, key: "jwtSecret" | "paySecret"): string {
  if (sqlitePath === ":memory:") return randomBytes(32).toString("hex");
  const file = join(dirname(sqlitePath), "secrets.json");
  let secrets: Record<string, string> = {};
  if (existsSync(file)) secrets = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  if (!secrets[key]) {
    secrets[key] = randomBytes(32).toString("hex");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets[key]!;
}

export function loadConfig(env: Env = process.env): Config {
  const profileRaw = str(env, "OVATION_PROFILE") ?? "embedded";
  if (profileRaw !== "embedded" && profileRaw !== "cluster") {
    throw new ConfigError("OVATION_PROFILE", `must be embedded or cluster, got "${profileRaw}"`);
  }
  const profile: Profile = profileRaw;
  const host = str(env, "HOST") ?? "127.0.0.1";
  const port = int(env, "PORT", 8080, 0, 65535);
  const sqlitePath = str(env, "OVATION_SQLITE_PATH") ?? "./data/ovation.db";
  const mysqlUrl = url(env, "OVATION_MYSQL_URL", ["mysql:"]);
  const redisUrl = url(env, "OVATION_REDIS_URL", ["redis:", "rediss:"]);
  const redisCluster = hostPorts(env, "OVATION_REDIS_CLUSTER");
  const kafkaBrokers = hostPorts(env, "OVATION_KAFKA_BROKERS");
  const kafkaFetchWaitMs = int(env, "OVATION_KAFKA_FETCH_WAIT_MS", 5, 1, 10_000);
  const workers = int(env, "OVATION_WORKERS", 1, 1, 256);
  const orderTtlSec = int(env, "OVATION_ORDER_TTL_SEC", 1800, 1, 7 * 86400);
  const stockSyncSec = int(env, "OVATION_STOCK_SYNC_SEC", 15, 1, 86400);
  const sendRetryWindowSec = int(env, "OVATION_SEND_RETRY_WINDOW_SEC", 600, 1, 7 * 86400);
  const sendRedriveSec = int(env, "OVATION_SEND_REDRIVE_SEC", 10, 1, 3600);
  const devLogin = flag(env, "OVATION_DEV_LOGIN");
  const demoSeed = flag(env, "OVATION_DEMO_SEED");
  const logRaw = str(env, "OVATION_LOG") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logRaw)) {
    throw new ConfigError("OVATION_LOG", `must be one of ${LOG_LEVELS.join(", ")}, got "${logRaw}"`);
  }
  const logLevel = logRaw as LogLevel;
  const namespace = str(env, "OVATION_NAMESPACE") ?? "ovation";
  if (!/^[a-z0-9_-]{1,32}$/i.test(namespace)) {
    throw new ConfigError("OVATION_NAMESPACE", "must be 1-32 letters, digits, _ or -");
  }

  let jwtSecret = str(env, "OVATION_JWT_SECRET");
  let paySecret = str(env, "OVATION_PAY_SECRET");
  if (profile === "cluster") {
    if (!mysqlUrl) throw new ConfigError("OVATION_MYSQL_URL", "is required in the cluster profile");
    if (!redisUrl && !redisCluster) {
      throw new ConfigError("OVATION_REDIS_URL", "(or OVATION_REDIS_CLUSTER) is required in the cluster profile");
    }
    if (!kafkaBrokers) throw new ConfigError("OVATION_KAFKA_BROKERS", "is required in the cluster profile");
    if (!jwtSecret) throw new ConfigError("OVATION_JWT_SECRET", "is required in the cluster profile");
    if (!paySecret) throw new ConfigError("OVATION_PAY_SECRET", "is required in the cluster profile");
  } else {
    if (workers !== 1) {
      throw new ConfigError("OVATION_WORKERS", "must be 1 in the embedded profile (its hot store lives in one process)");
    }
    jwtSecret ??= embeddedSecret(sqlitePath, "jwtSecret");
    paySecret ??= embeddedSecret(sqlitePath, "paySecret");
  }
  if (jwtSecret.length < 16) throw new ConfigError("OVATION_JWT_SECRET", "must be at least 16 characters");
  if (paySecret.length < 16) throw new ConfigError("OVATION_PAY_SECRET", "must be at least 16 characters");

  const publicUrl =
    url(env, "OVATION_PUBLIC_URL", ["http:", "https:"]) ??
    `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${port}`;

  return {
    profile,
    host,
    port,
    sqlitePath,
    mysqlUrl,
    redisUrl,
    redisCluster,
    kafkaBrokers,
    kafkaFetchWaitMs,
    workers,
    jwtSecret,
    devLogin,
    demoSeed,
    paySecret,
    orderTtlSec,
    stockSyncSec,
    sendRetryWindowSec,
    sendRedriveSec,
    publicUrl: publicUrl.replace(/\/$/, ""),
    namespace,
    logLevel,
  };
}
