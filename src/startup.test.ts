// Start-up and shutdown as an operator meets them, by running the real entry
// point (`bun run src/main.ts`, `npm start`) in child processes: a bad
// setting or an unusable store stops start-up with exit status 1 and one line
// naming the setting; every log line is JSON; SIGTERM to `npm start` stops the
// server; a second embedded server on the same database is refused.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection } from "mysql2/promise";
import { eventually } from "../test/harness.ts";
import { clusterAvailable, freshMysqlDatabase, services, uniqueName } from "../test/services.ts";

const SECRETS = { OVATION_JWT_SECRET: "startup-secret-0123456789", OVATION_PAY_SECRET: "startup-pay-secret-0123456789" };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempSqlite(): string {
  const dir = mkdtempSync(join(tmpdir(), "ovation-startup-"));
  dirs.push(dir);
  return join(dir, "ovation.db");
}

/** A loopback port nothing listens on (bound, then released). */
function closedPort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

function spawnMain(env: Record<string, string>, cmd: string[] = [process.execPath, "run", "src/main.ts"]) {
  return Bun.spawn(cmd, { env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: "0", ...env }, stdout: "pipe", stderr: "pipe" });
}

/** Runs the server with `env` until it exits; it must refuse to start. */
async function refusal(env: Record<string, string>): Promise<{ line: string; stdout: string }> {
  const proc = spawnMain(env);
  const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const lines = stderr.trim().split("\n");
  expect({ code, lines: lines.length, stderr }).toEqual({ code: 1, lines: 1, stderr: expect.stringMatching(/^ovation: (cannot start|configuration error): /) });
  expect(stdout + stderr).not.toMatch(/^\s+at /m);
  for (const l of stdout.split("\n").filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
  return { line: lines[0]!, stdout };
}

/** Reads a child's JSON log lines as they come, until `pred` matches one. */
function logWatcher(stream: ReadableStream<Uint8Array>) {
  const lines: string[] = [];
  let buffer = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of stream) {
      buffer += decoder.decode(chunk);
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts);
    }
    if (buffer) lines.push(buffer);
  })();
  return {
    lines,
    done,
    waitFor: (pred: (entry: Record<string, unknown>) => boolean) =>
      eventually(() => lines.map((l) => JSON.parse(l) as Record<string, unknown>).find(pred), 45_000, 50),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("start-up errors name the setting in one line", () => {
  test("OVATION_LOG accepts debug, info, warn, error, silent; anything else is a configuration error", async () => {
    const { line } = await refusal({ OVATION_SQLITE_PATH: tempSqlite(), OVATION_LOG: "verbose" });
    expect(line).toBe('ovation: configuration error: OVATION_LOG: must be one of debug, info, warn, error, silent, got "verbose"');
  });

  test("a port in use names HOST/PORT", async () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const { line } = await refusal({ OVATION_SQLITE_PATH: tempSqlite(), PORT: String(taken.port) });
      expect(line).toStartWith(`ovation: cannot start: HOST/PORT: 127.0.0.1:${taken.port}: `);
      expect(line).toContain("EADDRINUSE");
    } finally {
      taken.stop(true);
    }
  });
});

describe.skipIf(!clusterAvailable())("cluster-profile start-up errors name the setting in one line", () => {
  const cluster = () => ({
    OVATION_PROFILE: "cluster",
    OVATION_NAMESPACE: uniqueName("boot"),
    OVATION_REDIS_URL: services().redisUrl!,
    OVATION_KAFKA_BROKERS: services().kafkaBrokers!.join(","),
    ...SECRETS,
  });
  const mysqlAt = (port: number | null, database: string) => {
    const url = new URL(services().mysqlUrl!);
    if (port !== null) url.port = String(port);
    url.pathname = `/${database}`;
    return url.toString();
  };

  test("a database that does not exist, and a wrong MySQL port, name OVATION_MYSQL_URL", async () => {
    const missing = uniqueName("ovation_missing_");
    const { line } = await refusal({ ...cluster(), OVATION_MYSQL_URL: mysqlAt(null, missing) });
    expect(line).toStartWith("ovation: cannot start: OVATION_MYSQL_URL: MySQL at ");
    expect(line).toContain(`Unknown database '${missing}'`);
    const port = closedPort();
    const wrongPort = await refusal({ ...cluster(), OVATION_MYSQL_URL: mysqlAt(port, "ovation") });
    expect(wrongPort.line).toStartWith(`ovation: cannot start: OVATION_MYSQL_URL: MySQL at 127.0.0.1:${port}/ovation: `);
    expect(wrongPort.line).toContain("ECONNREFUSED");
  });

  test("unreachable Redis names OVATION_REDIS_URL or OVATION_REDIS_CLUSTER", async () => {
    const db = await freshMysqlDatabase();
    try {
      const [a, b] = [closedPort(), closedPort()];
      const url = await refusal({ ...cluster(), OVATION_MYSQL_URL: db.url, OVATION_REDIS_URL: `redis://127.0.0.1:${a}` });
      expect(url.line).toBe(`ovation: cannot start: OVATION_REDIS_URL: hot store: cannot reach Redis at 127.0.0.1:${a}: connect ECONNREFUSED 127.0.0.1:${a}`);
      const nodes = await refusal({ ...cluster(), OVATION_MYSQL_URL: db.url, OVATION_REDIS_URL: "", OVATION_REDIS_CLUSTER: `127.0.0.1:${a},127.0.0.1:${b}` });
      expect(nodes.line).toStartWith(`ovation: cannot start: OVATION_REDIS_CLUSTER: hot store: cannot reach Redis at 127.0.0.1:${a},127.0.0.1:${b}: `);
    } finally {
      await db.drop();
    }
  });

  test("an unreachable broker names OVATION_KAFKA_BROKERS, and no migration has run", async () => {
    const db = await freshMysqlDatabase();
    try {
      const port = closedPort();
      const { line, stdout } = await refusal({ ...cluster(), OVATION_MYSQL_URL: db.url, OVATION_KAFKA_BROKERS: `127.0.0.1:${port}` });
      expect(line).toBe(`ovation: cannot start: OVATION_KAFKA_BROKERS: Kafka at 127.0.0.1:${port}: Connection error: connect ECONNREFUSED 127.0.0.1:${port}`);
      // kafkajs' retries before giving up are debug lines, not a wall of errors.
      expect(stdout).toBe("");
      const conn = await createConnection(db.url);
      const [tables] = await conn.query("SHOW TABLES");
      await conn.end();
      expect(tables).toEqual([]);
    } finally {
      await db.drop();
    }
  }, 60_000);

  test("a running cluster server logs JSON only (kafkajs included, no TimeoutNegativeWarning) and stops on SIGTERM", async () => {
    const db = await freshMysqlDatabase();
    try {
      const proc = spawnMain({ ...cluster(), OVATION_MYSQL_URL: db.url, OVATION_LOG: "debug", OVATION_DEV_LOGIN: "1", OVATION_DEMO_SEED: "1" });
      const out = logWatcher(proc.stdout);
      const stderr = new Response(proc.stderr).text();
      const listening = await out.waitFor((e) => e.msg === "listening");
      const url = String(listening.url);
      // Demo data: viewer 2001 with coins, anchor 1001 living in room 1, gift 23.
      const tokenRes = (await (await fetch(`${url}/api/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ userId: 2001, role: "viewer" }) })).json()) as { data: { token: string } };
      const auth = { authorization: `Bearer ${tokenRes.data.token}`, "content-type": "application/json" };
      // A send goes through the producer and the consumer: kafkajs at work.
      const send = await fetch(`${url}/api/gifts/send`, { method: "POST", headers: auth, body: JSON.stringify({ giftId: 23, roomId: 1, receiverId: 1001, requestId: "boot-send" }) });
      expect(send.status).toBe(202);
      await eventually(async () => {
        const status = (await (await fetch(`${url}/api/gifts/sends/boot-send`, { headers: auth })).json()) as { data: { status: string } };
        return status.data.status === "success";
      }, 45_000);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(0);
      await out.done;
      expect(await stderr).toBe("");
      for (const l of out.lines.filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
      expect(out.lines.join("\n")).not.toContain("TimeoutNegativeWarning");
    } finally {
      await db.drop();
    }
  }, 60_000);
});

describe("one embedded server per database, and SIGTERM through npm start", () => {
  test("a second server on the same SQLite file is refused while the first runs; after a kill -9 it starts", async () => {
    // In a directory that does not exist yet (secrets given, so nothing else creates it).
    const sqlite = join(tempSqlite(), "..", "fresh", "ovation.db");
    const first = spawnMain({ OVATION_SQLITE_PATH: sqlite, ...SECRETS });
    const firstLog = logWatcher(first.stdout);
    await firstLog.waitFor((e) => e.msg === "listening");
    const { line } = await refusal({ OVATION_SQLITE_PATH: sqlite, ...SECRETS });
    expect(line).toBe(`ovation: cannot start: OVATION_SQLITE_PATH: ${sqlite} is in use by another running Ovation server (lock ${sqlite}.lock); the embedded profile runs one server per database`);
    first.kill("SIGKILL");
    await first.exited;
    const next = spawnMain({ OVATION_SQLITE_PATH: sqlite, ...SECRETS });
    const nextLog = logWatcher(next.stdout);
    await nextLog.waitFor((e) => e.msg === "listening");
    next.kill("SIGTERM");
    expect(await next.exited).toBe(0);
  }, 60_000);

  test("SIGTERM to the npm start process stops the Bun server it started (no orphan)", async () => {
    const npm = Bun.which("npm");
    expect(npm).not.toBeNull();
    const proc = spawnMain({ OVATION_SQLITE_PATH: tempSqlite() }, [npm!, "start", "--silent"]);
    const log = logWatcher(proc.stdout);
    const listening = await log.waitFor((e) => e.msg === "listening");
    const serverPid = Number(listening.pid);
    expect(serverPid).not.toBe(proc.pid);
    expect((await fetch(`${listening.url}/healthz`)).status).toBe(200);
    proc.kill("SIGTERM");
    await proc.exited;
    await eventually(() => !alive(serverPid));
    await log.waitFor((e) => e.msg === "shutting down" && e.signal === "SIGTERM");
  }, 60_000);
});
