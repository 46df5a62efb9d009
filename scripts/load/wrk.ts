// The load generator: wrk, driven by the Lua scripts beside this file. One
// generator for the ceilings and for Ovation, so their ratio means something;
// wrk (C, epoll) costs the 2-core machine far less CPU per request than a
// JavaScript client would.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WrkThread {
  id: number;
  answered: number;
  accepted: number;
  /** "status:count,..." of the counted requests this thread sent. */
  statuses: string;
}

export interface WrkResult {
  durationUs: number;
  requests: number;
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { p50: number; p90: number; p99: number; max: number; mean: number };
  threads: WrkThread[];
  /** wrk's own CPU time over its run, in % of one core: is the generator keeping off the server? */
  cpuPercent: number;
}

export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationSec: number;
  /** File name under scripts/load/wrk/. */
  script: "report.lua" | "fixed-sends.lua" | "fixed-requests.lua";
  scriptArgs?: string[];
  /** Seconds before wrk gives up on a request (its outcome is then unknown). */
  timeoutSec?: number;
  /** Progress lines "P <thread> <answered> <accepted>" as they come. */
  onProgress?(thread: number, answered: number, accepted: number): void;
  /** Interrupt wrk once every thread printed "D" (scripts that send a fixed count). */
  untilThreadsDone?: boolean;
}

export const WRK_DIR = join(import.meta.dir, "wrk");

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  if (!Bun.which("wrk")) throw new Error("wrk is not installed (apt-get install wrk)");
  const args = [
    "wrk", `-t${o.threads}`, `-c${Math.max(o.connections, o.threads)}`, `-d${o.durationSec}s`,
    `--timeout`, `${o.timeoutSec ?? 30}s`, "-s", join(WRK_DIR, o.script), o.url,
  ];
  if (o.scriptArgs) args.push("--", ...o.scriptArgs);
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const doneThreads = new Set<number>();
  let result: Omit<WrkResult, "cpuPercent"> | undefined;
  let rest = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      const f = line.split(" ");
      if (f[0] === "P") o.onProgress?.(Number(f[1]), Number(f[2]), Number(f[3]));
      else if (f[0] === "D") {
        o.onProgress?.(Number(f[1]), Number(f[2]), Number(f[3]));
        doneThreads.add(Number(f[1]));
        // wrk prints its summary and runs done() on SIGINT.
        if (o.untilThreadsDone && doneThreads.size === o.threads) proc.kill("SIGINT");
      } else if (line.startsWith("R ")) result = JSON.parse(line.slice(2)) as Omit<WrkResult, "cpuPercent">;
    }
  }
  const code = await proc.exited;
  if (!result) throw new Error(`wrk ended (${code}) without a report: ${await new Response(proc.stderr).text()}`);
  const cpuUs = Number(proc.resourceUsage()?.cpuTime.total ?? 0);
  return { ...result, cpuPercent: Math.round((cpuUs / result.durationUs) * 100) };
}

/** Requests per second over the run. */
export function wrkRate(r: WrkResult, requests = r.requests): number {
  return requests / (r.durationUs / 1e6);
}

export interface FixedSendsOptions {
  url: string;
  threads: number;
  connections: number;
  /** Request k is sent by tokens[k mod tokens.length]. */
  tokens: string[];
  path: string;
  /** The status counted as accepted (202 for a gift send, 201 for an order). */
  acceptedStatus: number;
  /** Request k's body is bodyPrefix + k + bodySuffix. */
  bodyPrefix: string;
  bodySuffix: string;
  total: number;
  /** Totals over all threads, as they come. */
  onProgress(answered: number, accepted: number): void;
}

/**
 * Exactly `total` POSTs through fixed-sends.lua, every one answered or timed
 * out (60 s) before it returns; the totals are summed over wrk's threads.
 */
export function runFixedSends(o: FixedSendsOptions): Promise<FixedCountResult> {
  return withLinesFile(o.tokens, (tokensFile) =>
    runFixedCount(o, "fixed-sends.lua", [tokensFile, o.path, String(o.acceptedStatus), o.bodyPrefix, o.bodySuffix, String(o.total), String(o.threads)]),
  );
}

/** A request prepared in full: a signed payment notification. */
export interface PreparedRequest {
  path: string;
  timestamp: string;
  signature: string;
  body: string;
}

/**
 * Exactly these POSTs, in this order, through fixed-requests.lua; like
 * runFixedSends, every one answered or timed out before it returns.
 */
export async function runFixedRequests(o: {
  url: string;
  threads: number;
  connections: number;
  requests: PreparedRequest[];
  acceptedStatus: number;
  onProgress(answered: number, accepted: number): void;
}): Promise<FixedCountResult> {
  const lines = o.requests.map((r) => [r.path, r.timestamp, r.signature, r.body].join("\t"));
  return withLinesFile(lines, (file) => runFixedCount(o, "fixed-requests.lua", [file, String(o.acceptedStatus), String(o.threads)]));
}

export type FixedCountResult = WrkResult & { answered: number; accepted: number; statuses: Record<string, number> };

/** `lines` in a temporary file (removed once `use` settles), for a wrk script to read. */
async function withLinesFile<T>(lines: string[], use: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "ovation-wrk-"));
  try {
    const file = join(dir, "input.txt");
    writeFileSync(file, lines.join("\n") + "\n");
    return await use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fixed-count script run to its end, its threads' counters summed. */
async function runFixedCount(
  o: { url: string; threads: number; connections: number; onProgress(answered: number, accepted: number): void },
  script: "fixed-sends.lua" | "fixed-requests.lua",
  scriptArgs: string[],
): Promise<FixedCountResult> {
  const answeredBy = new Map<number, number>();
  const acceptedBy = new Map<number, number>();
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const r = await runWrk({
    url: o.url,
    threads: o.threads,
    connections: o.connections,
    durationSec: 3600,
    timeoutSec: 60,
    script,
    scriptArgs,
    untilThreadsDone: true,
    onProgress(t, answered, accepted) {
      answeredBy.set(t, answered);
      acceptedBy.set(t, accepted);
      o.onProgress(sum(answeredBy), sum(acceptedBy));
    },
  });
  const statuses: Record<string, number> = {};
  for (const t of r.threads) {
    for (const part of t.statuses.split(",").filter(Boolean)) {
      const [status, n] = part.split(":");
      statuses[status!] = (statuses[status!] ?? 0) + Number(n);
    }
  }
  return {
    ...r,
    answered: r.threads.reduce((a, t) => a + t.answered, 0),
    accepted: r.threads.reduce((a, t) => a + t.accepted, 0),
    statuses,
  };
}

/** wrk's latency figures in ms, as every result file reports them, with its errors and CPU. */
export function wrkFigures(r: WrkResult) {
  return {
    p50Ms: r.latencyUs.p50 / 1000,
    p90Ms: r.latencyUs.p90 / 1000,
    p99Ms: r.latencyUs.p99 / 1000,
    maxMs: r.latencyUs.max / 1000,
    wrkErrors: r.errors,
    generatorCpuPercent: r.cpuPercent,
  };
}
