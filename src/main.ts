// Entry point: `bun run src/main.ts` starts the server exactly as the
// environment configures it. With OVATION_WORKERS > 1 this process
// becomes the pool's primary: it migrates (and seeds), then runs N workers
// sharing the port and restarts any that dies.
//
// A setting that is malformed, or names a store or port that cannot be used,
// stops start-up with exit status 1 and one line on stderr naming the setting
// — never a driver's stack trace.
import { ConfigError, loadConfig, StartupError, type Config } from "./config.ts";
import { createDeps } from "./deps.ts";
import { seedDemo } from "./ops/seed.ts";
import { startServer } from "./server.ts";
import { lockEmbeddedStore } from "./store/sqlite-lock.ts";

const SHUTDOWN_GRACE_MS = 15_000;

function exitOnStartupFailure(e: unknown): never {
  if (e instanceof ConfigError) console.error(`ovation: configuration error: ${e.message}`);
  else if (e instanceof StartupError) console.error(`ovation: cannot start: ${e.message}`);
  else console.error(`ovation: cannot start: ${String((e as Error)?.message ?? e).replace(/\s+/g, " ").trim()}`);
  process.exit(1);
}

async function prepareStore(config: Config): Promise<void> {
  const deps = await createDeps(config);
  try {
    if (config.demoSeed) await seedDemo(deps);
  } finally {
    await deps.close();
  }
}

async function runServer(config: Config, worker: boolean): Promise<void> {
  if (config.profile === "embedded") lockEmbeddedStore(config.sqlitePath);
  const deps = await createDeps(config, { skipMigrations: worker });
  if (!worker && config.demoSeed) await seedDemo(deps);
  await deps.start();
  const running = await startServer(deps, { reusePort: config.workers > 1 });
  deps.log.info("listening", { url: running.url, profile: config.profile, worker: process.env.OVATION_WORKER_ID ?? null });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.log.info("shutting down", { signal });
    // Drain, but not forever: a broker or database that stopped answering
    // must not keep a stopping process alive.
    setTimeout(() => {
      deps.log.error("drain did not finish in time; exiting", { signal });
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    await running.stop();
    await deps.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  if (worker) {
    // A worker whose primary died (even by SIGKILL) is re-parented: stop too,
    // rather than serve on as an orphan nobody supervises. The primary names
    // itself: by the time a slow start gets here it may already be gone.
    const primary = Number(process.env.OVATION_PRIMARY_PID ?? process.ppid);
    setInterval(() => process.ppid !== primary && void shutdown("primary exited"), 1000).unref();
  }
}

async function runPool(config: Config): Promise<void> {
  await prepareStore(config);
  const children = new Map<number, ReturnType<typeof Bun.spawn>>();
  let stopping = false;
  const spawn = (id: number) => {
    const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
      env: { ...process.env, OVATION_WORKER_ID: String(id), OVATION_PRIMARY_PID: String(process.pid) },
      stdio: ["ignore", "inherit", "inherit"],
      onExit: (_p, code) => {
        children.delete(id);
        if (!stopping) {
          console.error(JSON.stringify({ level: "error", msg: "worker exited; restarting", worker: id, code }));
          setTimeout(() => spawn(id), 1000);
        } else if (children.size === 0) process.exit(0);
      },
    });
    children.set(id, child);
  };
  for (let i = 0; i < config.workers; i++) spawn(i);
  const stop = () => {
    stopping = true;
    for (const c of children.values()) c.kill("SIGTERM");
    if (children.size === 0) process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

try {
  const config = loadConfig();
  const isWorker = process.env.OVATION_WORKER_ID !== undefined;
  if (config.workers > 1 && !isWorker) await runPool(config);
  else await runServer(config, isWorker);
} catch (e) {
  exitOnStartupFailure(e);
}
