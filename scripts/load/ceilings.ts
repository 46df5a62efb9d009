// The ceilings every Ovation figure is divided by, measured in the same run on
// the same machine: a Bun and a Hono hello-world under the same generator
// (wrk, scripts/load/wrk.ts) at each concurrency, and redis-benchmark EVALSHA
// of Ovation's own admission script (admitDebit) and stock reserve script
// (src/hot/stock/scripts/reserve-4.lua), unpipelined and pipelined.
//
//   bun run scripts/load/ceilings.ts [--connections 16,64,256] [--seconds 10]
//     [--threads 1] [--redis-requests 200000] [--smoke] [--label before]
//
// Uses ports 18251 (Bun), 18252 (Hono) and 18290 (a private redis-server).
// Exit 1 when a hello-world answered anything but 200 or a script did not
// succeed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { intOption, parseCli, progress, round, writeResult } from "./report.ts";
import { runWrk, wrkRate } from "./wrk.ts";

const USAGE = "bun run scripts/load/ceilings.ts [--connections 16,64,256] [--seconds 10] [--threads 1] [--redis-requests 200000] [--redis-port 18290] [--smoke] [--label text]";
const opts = parseCli(USAGE, {
  connections: { type: "string" },
  seconds: { type: "string" },
  "redis-requests": { type: "string" },
  "redis-port": { type: "string", default: "18290" },
  "hello-port": { type: "string", default: "18251" },
});
const connections = (opts.connections ?? (opts.smoke ? "16" : "16,64,256")).split(",").map((c) => intOption("connections", c, 1));
const seconds = intOption("seconds", opts.seconds ?? (opts.smoke ? 2 : 10), 1);
const threads = intOption("threads", opts.threads, 1);
const redisRequests = intOption("redis-requests", opts["redis-requests"] ?? (opts.smoke ? 10_000 : 200_000), 1);
const redisPort = intOption("redis-port", opts["redis-port"], 1);
const helloPort = intOption("hello-port", opts["hello-port"], 1);
const ROOT = join(import.meta.dir, "..", "..");

interface HttpRow {
  target: "bun-hello" | "hono-hello";
  connections: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** wrk's CPU use, % of one core. */
  generatorCpu: number;
}
const http: HttpRow[] = [];
const failures: string[] = [];
const line = progress();

for (const [i, kind] of (["bun", "hono"] as const).entries()) {
  const port = helloPort + i;
  const server = Bun.spawn([process.execPath, "run", join(import.meta.dir, "hello.ts"), "--kind", kind, "--port", String(port)], { stdout: "inherit", stderr: "inherit" });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).ok);
    for (const c of connections) {
      line.update(`${kind}-hello: ${c} connections, ${seconds} s …`);
      const r = await runWrk({ url: `http://127.0.0.1:${port}/`, threads, connections: c, durationSec: seconds, script: "report.lua" });
      const errors = r.errors.connect + r.errors.read + r.errors.write + r.errors.status + r.errors.timeout;
      if (errors > 0) failures.push(`${kind}-hello at ${c} connections: ${errors} errors ${JSON.stringify(r.errors)}`);
      http.push({ target: `${kind}-hello`, connections: c, rps: Math.round(wrkRate(r)), p50Ms: r.latencyUs.p50 / 1000, p99Ms: r.latencyUs.p99 / 1000, errors, generatorCpu: r.cpuPercent });
    }
  } finally {
    server.kill();
    await server.exited;
  }
}
line.end();

// redis-benchmark EVALSHA of Ovation's own hot-store scripts on a private
// redis-server, each on the path that succeeds (the costliest one):
// - admitDebit: one wallet with plenty of coins, a fresh admission id per call;
// - the stock reserve: one SKU with plenty of units, no per-user limit, a fresh
//   reservation and buyer per call (__rand_int__).
/**
 * A payload the size of a real gift event (about 270 bytes), as admitDebit
 * keeps it; plain letters, since redis-benchmark's CSV repeats the command.
 */
const BENCH_PAYLOAD = "e".repeat(270);
interface ScriptBench {
  name: string;
  file: string;
  setup(cli: (...args: string[]) => string): void;
  /** One call that must succeed, and the reply prefix that says it did. */
  probe: string[];
  /** redis-benchmark's command after the sha (keys may hold __rand_int__). */
  bench: string[];
}
const SCRIPTS: ScriptBench[] = [
  {
    name: "admitDebit",
    file: "src/hot/**/admitDebit-4.lua",
    // The send path as the server calls it: the send rate limit (never reached
    // here), the payload kept, the pending-index entry; no deadline (0), the
    // wallet loaded (no load: "", "", "").
    setup: (cli) => cli("HSET", "bench:{w:1}:wallet:1", "a", String(Number.MAX_SAFE_INTEGER), "g", "1", "lv", "1", "cv", "0"),
    probe: ["4", "bench:{w:1}:wallet:1", "bench:{w:1}:adm:1:probe", "bench:{w:1}:rl:1:gift-send", "bench:{w:1}:pending", "1", "fp", BENCH_PAYLOAD, "604800", "1:probe", "1", String(Number.MAX_SAFE_INTEGER), "1000", "0", "", "", ""],
    bench: ["4", "bench:{w:1}:wallet:1", "bench:{w:1}:adm:1:__rand_int__", "bench:{w:1}:rl:1:gift-send", "bench:{w:1}:pending", "1", "fp", BENCH_PAYLOAD, "604800", "1:__rand_int__", "1", String(Number.MAX_SAFE_INTEGER), "1000", "0", "", "", ""],
  },
  {
    name: "stockReserve",
    file: "src/hot/stock/scripts/reserve-4.lua",
    setup: (cli) => cli("HSET", "bench:{sku:1}:stock", "a", String(Number.MAX_SAFE_INTEGER), "g", "1"),
    probe: ["4", "bench:{sku:1}:stock", "bench:{sku:1}:r:probe", "bench:{sku:1}:u:probe", "bench:{sku:1}:unlanded", "probe", "1", "1", "0", "1"],
    bench: ["4", "bench:{sku:1}:stock", "bench:{sku:1}:r:__rand_int__", "bench:{sku:1}:u:__rand_int__", "bench:{sku:1}:unlanded", "o", "1", "1", "0", "1"],
  },
];
const redis = Bun.spawn(["redis-server", "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdout: "ignore", stderr: "inherit" });
const cli = (...args: string[]) => {
  const r = Bun.spawnSync(["redis-cli", "-p", String(redisPort), ...args]);
  return r.stdout.toString().trim();
};
interface RedisRow {
  target: string;
  pipeline: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}
const redisRows: RedisRow[] = [];
try {
  // Ours, not another server already on the port.
  await waitFor(() => cli("INFO", "server").includes(`process_id:${redis.pid}\r`));
  for (const script of SCRIPTS) {
    const path = [...new Bun.Glob(script.file).scanSync({ cwd: ROOT })][0];
    if (!path) throw new Error(`${script.file} not found`);
    const sha = cli("SCRIPT", "LOAD", readFileSync(join(ROOT, path), "utf8"));
    script.setup(cli);
    const probe = cli("EVALSHA", sha, ...script.probe);
    if (!probe.startsWith("1")) failures.push(`${script.name} did not succeed: ${probe}`);
    for (const pipeline of [1, 16]) {
      line.update(`redis-benchmark EVALSHA ${script.name} -P ${pipeline} …`);
      const out = Bun.spawnSync([
        "redis-benchmark", "-p", String(redisPort), "-n", String(redisRequests), "-c", "50", "-P", String(pipeline), "-r", "100000000", "--csv",
        "EVALSHA", sha, ...script.bench,
      ]).stdout.toString();
      const row = out.trim().split("\n").at(-1)!.split(",").map((v) => v.replace(/"/g, ""));
      redisRows.push({ target: `redis-evalsha-${script.name}`, pipeline, rps: Math.round(Number(row[1])), p50Ms: Number(row[4]), p99Ms: Number(row[6]) });
    }
  }
} finally {
  redis.kill();
  await redis.exited;
}
line.end();

const file = writeResult("ceilings", { label: opts.label, params: { connections, seconds, threads, redisRequests, scripts: SCRIPTS.map((x) => x.file), smoke: opts.smoke }, http, redis: redisRows, failures });
console.log("ceilings (wrk, same machine, same run):");
for (const r of http) console.log(`  ${r.target.padEnd(11)} c=${String(r.connections).padEnd(4)} ${String(r.rps).padStart(7)} req/s  p50 ${round(r.p50Ms, 2)} ms  p99 ${round(r.p99Ms, 2)} ms  (wrk ${r.generatorCpu}% CPU)`);
for (const r of redisRows) console.log(`  EVALSHA ${r.target.replace("redis-evalsha-", "").padEnd(12)} -P ${String(r.pipeline).padEnd(2)} ${String(r.rps).padStart(7)} calls/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms`);
console.log(`  → ${file}`);
for (const f of failures) console.error(`FAIL ${f}`);
process.exit(failures.length === 0 ? 0 : 1);

async function waitFor(ok: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await ok()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error("a ceiling server did not start");
    await Bun.sleep(50);
  }
}
