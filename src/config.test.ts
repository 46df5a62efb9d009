import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "./config.ts";
import { verifyToken } from "./lib/auth.ts";

const cluster = {
  OVATION_PROFILE: "cluster",
  OVATION_MYSQL_URL: "mysql://root@127.0.0.1:3306/ovation",
  OVATION_REDIS_URL: "redis://127.0.0.1:6379",
  OVATION_KAFKA_BROKERS: "127.0.0.1:9092",
  OVATION_JWT_SECRET: "0123456789abcdef0123",
  OVATION_PAY_SECRET: "0123456789abcdef0123",
};

function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  test("defaults: embedded, 127.0.0.1:8080, one worker, the documented TTLs", () => {
    const c = loadConfig({ OVATION_SQLITE_PATH: ":memory:" });
    expect(c).toMatchObject({ profile: "embedded", host: "127.0.0.1", port: 8080, workers: 1, orderTtlSec: 1800, stockSyncSec: 15, sendRetryWindowSec: 600, sendRedriveSec: 10, kafkaFetchWaitMs: 5, devLogin: false, demoSeed: false });
    expect(c.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  test("each missing cluster setting is named", () => {
    for (const name of ["OVATION_MYSQL_URL", "OVATION_KAFKA_BROKERS", "OVATION_JWT_SECRET", "OVATION_PAY_SECRET"]) {
      const env: Record<string, string> = { ...cluster };
      delete env[name];
      expect(problem(env)).toStartWith(name);
    }
    const noRedis: Record<string, string> = { ...cluster };
    delete noRedis.OVATION_REDIS_URL;
    expect(problem(noRedis)).toStartWith("OVATION_REDIS_URL");
    expect(loadConfig({ ...cluster, OVATION_REDIS_URL: "", OVATION_REDIS_CLUSTER: "127.0.0.1:7101,127.0.0.1:7102" }).redisCluster).toEqual(["127.0.0.1:7101", "127.0.0.1:7102"]);
  });

  test("malformed settings are named", () => {
    expect(problem({ OVATION_PROFILE: "both" })).toStartWith("OVATION_PROFILE");
    expect(problem({ PORT: "80a" })).toStartWith("PORT");
    expect(problem({ PORT: "70000" })).toStartWith("PORT");
    expect(problem({ ...cluster, OVATION_MYSQL_URL: "postgres://x" })).toStartWith("OVATION_MYSQL_URL");
    expect(problem({ ...cluster, OVATION_KAFKA_BROKERS: "kafka" })).toStartWith("OVATION_KAFKA_BROKERS");
    expect(problem({ OVATION_DEV_LOGIN: "yes", OVATION_SQLITE_PATH: ":memory:" })).toStartWith("OVATION_DEV_LOGIN");
    expect(problem({ OVATION_WORKERS: "4", OVATION_SQLITE_PATH: ":memory:" })).toStartWith("OVATION_WORKERS");
    expect(problem({ ...cluster, OVATION_JWT_SECRET: "short" })).toStartWith("OVATION_JWT_SECRET");
    expect(problem({ OVATION_SEND_RETRY_WINDOW_SEC: "0", OVATION_SQLITE_PATH: ":memory:" })).toStartWith("OVATION_SEND_RETRY_WINDOW_SEC");
    expect(problem({ OVATION_SEND_REDRIVE_SEC: "ten", OVATION_SQLITE_PATH: ":memory:" })).toStartWith("OVATION_SEND_REDRIVE_SEC");
    expect(problem({ ...cluster, OVATION_KAFKA_FETCH_WAIT_MS: "0" })).toStartWith("OVATION_KAFKA_FETCH_WAIT_MS");
    expect(loadConfig({ ...cluster, OVATION_KAFKA_FETCH_WAIT_MS: "250" }).kafkaFetchWaitMs).toBe(250);
  });

  test("the server stops at start-up with one line naming the setting", async () => {
    const proc = Bun.spawn([process.execPath, "run", "src/main.ts"], {
      env: { PATH: process.env.PATH ?? "", OVATION_PROFILE: "cluster", OVATION_MYSQL_URL: "mysql://root@127.0.0.1:3306/x" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const code = await proc.exited;
    const err = (await new Response(proc.stderr).text()).trim();
    expect(code).toBe(1);
    expect(err.split("\n")).toHaveLength(1);
    expect(err).toContain("OVATION_REDIS_URL");
  });

  test("bun run token prints a token signed with the configured secret", async () => {
    const secret = "cli-secret-0123456789abcdef";
    const proc = Bun.spawn([process.execPath, "run", "token", "--user", "42", "--role", "admin"], {
      env: { PATH: process.env.PATH ?? "", ...cluster, OVATION_JWT_SECRET: secret },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(0);
    const token = (await new Response(proc.stdout).text()).trim();
    expect(await verifyToken(secret, token)).toEqual({ userId: 42, role: "admin" });
    const bad = Bun.spawn([process.execPath, "run", "token", "--user", "0"], { env: { PATH: process.env.PATH ?? "" }, stdout: "pipe", stderr: "pipe" });
    expect(await bad.exited).toBe(2);
  });
});
