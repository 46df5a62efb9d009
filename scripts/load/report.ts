// What every load script shares around its measurements: the command line
// common to all, the machine, the live progress line, latency percentiles and
// the JSON result under bench-results/.
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Profile } from "../../src/config.ts";

export const RESULTS_DIR = join(import.meta.dir, "..", "..", "bench-results");

/** Options every script takes; each adds its own. */
export const COMMON_OPTIONS = {
  url: { type: "string", default: "http://127.0.0.1:8080" },
  spawn: { type: "string" },
  port: { type: "string", default: "18250" },
  "mysql-url": { type: "string", default: "mysql://root@127.0.0.1:3306/" },
  "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
  smoke: { type: "boolean", default: false },
  label: { type: "string", default: "" },
  threads: { type: "string", default: "1" },
  help: { type: "boolean", default: false },
} as const satisfies ParseArgsConfig["options"];

/** What --help adds to a script's own usage line: every option of COMMON_OPTIONS with its default (not every script uses each). */
const COMMON_USAGE = `options every script takes: ${Object.entries(COMMON_OPTIONS)
  .filter(([name]) => name !== "help")
  .map(([name, o]) => (o.type === "boolean" ? `[--${name}]` : `[--${name} ${("default" in o && o.default) || (name === "spawn" ? "embedded|cluster" : "text")}]`))
  .join(" ")} (--port: the server --spawn starts)`;

export function parseCli<O extends ParseArgsConfig["options"]>(usage: string, options: O) {
  const { values } = parseArgs({ options: { ...COMMON_OPTIONS, ...options }, allowPositionals: false });
  if ((values as { help?: boolean }).help) {
    console.log(`${usage}\n${COMMON_USAGE}`);
    process.exit(0);
  }
  return values;
}

/** --<name> as a profile, or exit 2 naming it. */
export function profileOption(name: string, raw: unknown, usage: string): Profile {
  if (raw !== "embedded" && raw !== "cluster") {
    console.error(`--${name} must be embedded or cluster\n${usage}`);
    process.exit(2);
  }
  return raw;
}

/** A whole number from an option, or exit 2 naming it. */
export function intOption(name: string, raw: unknown, min = 0): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`--${name} must be a whole number ≥ ${min}, got "${String(raw)}"`);
    process.exit(2);
  }
  return n;
}

export function machine() {
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { cwd: import.meta.dir, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    // not a git checkout
  }
  return { nproc: cpus().length, memMb: Math.round(totalmem() / 2 ** 20), bun: Bun.version, commit };
}

/** Writes bench-results/<script>-<time>.json and returns its path. */
export function writeResult(script: string, result: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${script}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ script, at: new Date().toISOString(), machine: machine(), ...result }, null, 2) + "\n");
  return file;
}

/** One status line rewritten in place on a terminal (plain lines otherwise, at most one a second). */
export function progress(): { update(line: string): void; end(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let shown = "";
  return {
    update(line) {
      shown = line;
      const now = Date.now();
      if (tty) process.stderr.write(`\r\x1b[K${line}`);
      else if (now - last >= 1000) process.stderr.write(`${line}\n`);
      else return;
      last = now;
    },
    end() {
      if (tty && shown) process.stderr.write("\n");
      shown = "";
    },
  };
}

/** Latency histogram at 1 ms resolution up to a minute (beyond: counted in the last bucket). */
export class LatencyHistogram {
  private readonly buckets = new Uint32Array(60_001);
  count = 0;
  max = 0;
  record(ms: number): void {
    const b = Math.min(Math.max(0, Math.round(ms)), this.buckets.length - 1);
    this.buckets[b]! += 1;
    this.count += 1;
    if (ms > this.max) this.max = ms;
  }
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const want = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= want) return i;
    }
    return this.buckets.length - 1;
  }
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
