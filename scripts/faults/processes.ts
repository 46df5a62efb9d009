// The processes a fault scenario owns and breaks: a private redis-server, a
// Kafka broker (librdkafka's mock cluster through kcat) and Ovation servers
// (`bun run src/main.ts`, cluster profile). Each is a real OS process started
// here and killed here by its own pid; nothing shared is ever touched.
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";
import { reachable } from "../../test/services.ts";
import { startMockKafka, type MockKafka } from "../../test/mock-kafka.ts";

/**
 * Ports of this suite: 18300-18399, in five slots of 20 so runs can go side
 * by side: slot n has its redis-server on 18300+20n+1, its private mariadbd
 * (when a scenario wants one) on 18300+20n+5 and its server on 18300+20n+10.
 */
export const FAULT_SLOTS = 5;
export interface FaultPorts {
  redis: number;
  mariadb: number;
  server: number;
}

export function faultPorts(slot: number): FaultPorts {
  const base = 18300 + 20 * slot;
  return { redis: base + 1, mariadb: base + 5, server: base + 10 };
}

/** Two ports the system has free right now (for runs that cannot own a slot, like CI on a shared machine). */
export async function freePorts(): Promise<FaultPorts> {
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as AddressInfo;
        srv.close(() => resolve(port));
      });
    });
  return { redis: await one(), mariadb: await one(), server: await one() };
}

const REPO_ROOT = join(import.meta.dir, "..", "..");

export function scratchDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "ovation-faults-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Polls `f` until it is true; false when `timeoutMs` ran out first. */
export async function waitFor(f: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await f()) return true;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) return false;
    await Bun.sleep(stepMs);
  }
}

async function waitExit(proc: ReturnType<typeof Bun.spawn>): Promise<void> {
  await proc.exited;
}

/** A process started here, killed only by its own pid. */
class OwnedProcess {
  protected proc: ReturnType<typeof Bun.spawn> | undefined;

  /** SIGKILL: no clean shutdown of any kind. Resolves when the process is gone. */
  async kill9(): Promise<void> {
    if (!this.proc) return;
    this.proc.kill("SIGKILL");
    await waitExit(this.proc);
    this.proc = undefined;
  }
}

// ---------------------------------------------------------------- Redis ---

/** A redis-server of our own: killed, flushed, stopped and restarted at will. */
export class PrivateRedis extends OwnedProcess {
  constructor(readonly port: number, private readonly dir: string) {
    super();
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (await reachable("127.0.0.1", this.port)) throw new Error(`port ${this.port} is already in use; another fault run?`);
    // RDB only on an explicit SHUTDOWN SAVE, so `stop()` keeps the data and
    // a restart finds it again, as a real Redis restart with persistence does.
    this.proc = Bun.spawn(
      ["redis-server", "--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir, "--logfile", join(this.dir, "redis.log")],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    if (!(await waitFor(() => this.cli("PING").then((r) => r === "PONG"), 10_000))) throw new Error("private redis-server did not start");
  }

  async cli(...args: string[]): Promise<string> {
    const p = Bun.spawn(["redis-cli", "-p", String(this.port), ...args], { stdout: "pipe", stderr: "pipe" });
    const out = await new Response(p.stdout).text();
    await p.exited;
    return out.trim();
  }

  async flushAll(): Promise<void> {
    const r = await this.cli("FLUSHALL");
    if (r !== "OK") throw new Error(`FLUSHALL answered ${r}`);
  }

  /** Saves its data and exits (connections refused until start()). */
  async stop(): Promise<void> {
    await this.cli("SHUTDOWN", "SAVE");
    if (this.proc) await waitExit(this.proc);
    this.proc = undefined;
  }

}

// ------------------------------------------------------------- MariaDB ---

/**
 * A mariadbd of our own (mariadb-install-db into the scratch directory, root
 * without a password on 127.0.0.1:port), so a scenario may crash and restart
 * the database without touching the shared one.
 */
export class PrivateMariadb extends OwnedProcess {
  private installed = false;
  private starts = 0;
  constructor(readonly port: number, private readonly dir: string) {
    super();
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/`;
  }

  async start(): Promise<void> {
    if (await reachable("127.0.0.1", this.port)) throw new Error(`port ${this.port} is already in use; another fault run?`);
    const data = join(this.dir, "mariadb");
    if (!this.installed) {
      const install = Bun.spawn(["mariadb-install-db", "--no-defaults", `--datadir=${data}`, "--auth-root-authentication-method=normal", "--skip-test-db"], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      const err = await new Response(install.stderr).text();
      if ((await install.exited) !== 0) throw new Error(`mariadb-install-db failed: ${err.trim().split("\n").slice(-3).join(" | ")}`);
      this.installed = true;
    }
    this.starts += 1;
    this.proc = Bun.spawn(
      [
        "mariadbd",
        "--no-defaults",
        `--datadir=${data}`,
        `--port=${this.port}`,
        "--bind-address=127.0.0.1",
        `--socket=${join(this.dir, "mariadb.sock")}`,
        "--user=root",
        "--skip-log-bin",
        "--innodb-buffer-pool-size=64M",
        `--log-error=${join(this.dir, `mariadb-${this.starts}.log`)}`,
      ],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    if (!(await waitFor(() => reachable("127.0.0.1", this.port), 60_000, 200))) throw new Error(`private mariadbd did not listen on ${this.port}; see ${this.dir}`);
  }

}

// --------------------------------------------------------------- Kafka ---

/**
 * librdkafka's mock cluster, through kcat. It keeps everything in memory: a
 * killed broker loses every topic, offset and group, and a new one listens on
 * new (random) ports, so the servers must be pointed at it again.
 */
export class MockBroker {
  private mock: MockKafka | undefined;

  /** Starts a one-node mock cluster and returns its bootstrap servers. */
  async start(): Promise<string> {
    this.mock = await startMockKafka(1, 10_000);
    if (!this.mock) throw new Error("kcat did not print the mock cluster's bootstrap servers");
    return this.mock.bootstrap.join(",");
  }

  async kill(): Promise<void> {
    await this.mock?.kill();
    this.mock = undefined;
  }
}

// -------------------------------------------------------------- Ovation ---

/** One Ovation server process, as an operator runs it: `bun run src/main.ts`. */
export class OvationServer extends OwnedProcess {
  private starts = 0;
  constructor(
    readonly port: number,
    private env: Record<string, string>,
    private readonly logDir: string,
  ) {
    super();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setEnv(changes: Record<string, string>): void {
    this.env = { ...this.env, ...changes };
  }

  /** Starts the process and returns the ms until its port answers /healthz 200 (throws after `timeoutMs`). */
  async start(timeoutMs = 180_000): Promise<number> {
    if (await reachable("127.0.0.1", this.port)) throw new Error(`port ${this.port} is already in use; another fault run?`);
    this.starts += 1;
    const out = createWriteStream(join(this.logDir, `server-${this.port}-${this.starts}.log`));
    const began = performance.now();
    const proc = Bun.spawn([process.execPath, "run", "src/main.ts"], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.proc = proc;
    for (const stream of [proc.stdout, proc.stderr]) {
      void (async () => {
        for await (const chunk of stream) out.write(chunk);
      })();
    }
    let exited = false;
    void proc.exited.then(() => (exited = true));
    const up = await waitFor(async () => {
      if (exited) throw new Error("exited");
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      return res.status === 200;
    }, timeoutMs);
    if (exited) throw new Error(`server on port ${this.port} exited during start-up; see ${this.logDir}`);
    if (!up) throw new Error(`server on port ${this.port} did not answer /healthz within ${timeoutMs} ms; see ${this.logDir}`);
    return performance.now() - began;
  }


  /** SIGTERM and wait for the drain; SIGKILL if it does not end within `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    proc.kill("SIGTERM");
    const ended = await Promise.race([proc.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
    if (!ended) proc.kill("SIGKILL");
    await waitExit(proc);
    this.proc = undefined;
  }
}
