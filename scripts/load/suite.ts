// The whole benchmark report in one command: the ceilings at the start, R runs
// each of the gift burst and the flash sale on every profile, the fan-out at
// 1,000 sockets (effect latency) and at 5,000 (peak RSS), a gift-burst sweep
// over more connection counts for the chart, the ceilings again at the end.
// Each measurement is the load script itself, run as a child process against
// a server it spawns (so every figure is what that script reports, JSON under
// bench-results/); this script only orders them and sums them up as the
// Markdown tables of docs/benchmarks.md: min / median / max over the runs,
// the median's ratio to the Hono hello-world at the same connection count
// (the median of its start and end runs).
//
//   bun run scripts/load/suite.ts [--label after] [--runs 3] [--profiles embedded,cluster]
//     [--port 18600] [--users 10000] [--gifts 10000] [--connections 64] [--sweep 16,256]
//     [--skip gift,flash,fanout,rss,sweep] [--checkout DIR]
//
// --checkout runs the load scripts of another checkout of Ovation (an older
// commit, for the "before" of a chart); its results stay in its own
// bench-results/, and a script it does not have is left out.
//
// Exit 1 when any child failed (a correctness failure or a crash): its output
// is printed, and its row says so.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { intOption, round } from "./report.ts";

const USAGE =
  "bun run scripts/load/suite.ts [--label after] [--runs 3] [--profiles embedded,cluster] [--port 18600] [--users 10000] [--gifts 10000] [--connections 64] [--sweep 16,256] [--skip gift,flash,fanout,rss,sweep] [--checkout DIR]";
const { values: opts } = parseArgs({
  options: {
    label: { type: "string", default: "suite" },
    runs: { type: "string", default: "3" },
    profiles: { type: "string", default: "embedded,cluster" },
    port: { type: "string", default: "18600" },
    users: { type: "string", default: "10000" },
    gifts: { type: "string", default: "10000" },
    connections: { type: "string", default: "64" },
    sweep: { type: "string", default: "16,256" },
    skip: { type: "string", default: "" },
    checkout: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const label = opts.label!;
const runs = intOption("runs", opts.runs, 1);
const basePort = intOption("port", opts.port, 1024);
const connections = intOption("connections", opts.connections, 1);
const sweep = opts.sweep ? opts.sweep.split(",").map((c) => intOption("sweep", c, 1)) : [];
const skip = new Set(opts.skip ? opts.skip.split(",") : []);
const profiles = opts.profiles!.split(",");
for (const p of profiles) if (p !== "embedded" && p !== "cluster") throw new Error(`--profiles: embedded or cluster, got "${p}"`);
const checkout = resolve(opts.checkout ?? join(import.meta.dir, "..", ".."));
const FLASH_CONNECTIONS = 1000;

type Json = Record<string, any>;
interface Child {
  what: string;
  args: string[];
  result: Json | null;
  ok: boolean;
}
const children: Child[] = [];
let portOffset = 0;

/** Runs one load script of the checkout; its JSON result, or null when it failed. */
async function run(what: string, script: string, args: string[]): Promise<Json | null> {
  const file = join(checkout, "scripts", "load", `${script}.ts`);
  if (!existsSync(file)) {
    console.error(`[suite] ${what}: ${script}.ts is not in ${checkout}; left out`);
    return null;
  }
  const port = String(basePort + (portOffset++ % 40));
  const full = [...args, "--label", label, ...(script === "ceilings" ? [] : ["--port", port])];
  console.error(`[suite] ${what}: bun run scripts/load/${script}.ts ${full.join(" ")}`);
  const proc = Bun.spawn([process.execPath, "run", file, ...full], { cwd: checkout, stdout: "pipe", stderr: "pipe", env: process.env });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const path = out.match(/→ (\S+\.json)/)?.[1];
  const result = path && existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Json) : null;
  const ok = code === 0 && result !== null;
  if (!ok) console.error(`[suite] ${what} FAILED (exit ${code})\n${out}\n${err.split("\n").slice(-30).join("\n")}`);
  else console.error(out.trimEnd());
  children.push({ what, args: full, result, ok });
  return ok ? result : null;
}

const ceilingConnections = [...new Set([connections, ...sweep, ...(skip.has("flash") ? [] : [FLASH_CONNECTIONS])])].sort((a, b) => a - b);
const ceilingArgs = ["--connections", ceilingConnections.join(","), "--seconds", "5", "--hello-port", String(basePort + 45), "--redis-port", String(basePort + 46)];
const ceilings: Json[] = [];
const start = await run("ceilings at the start", "ceilings", ceilingArgs);
if (start) ceilings.push(start);

const bursts: Json[] = [];
const sales: Json[] = [];
for (let r = 1; r <= runs; r++) {
  for (const p of profiles) {
    if (!skip.has("gift")) {
      const g = await run(`gift burst ${p} run ${r}`, "gift-burst", ["--spawn", p, "--users", opts.users!, "--gifts", opts.gifts!, "--connections", String(connections)]);
      if (g) bursts.push(g);
    }
    if (!skip.has("flash")) {
      const s = await run(`flash sale ${p} run ${r}`, "flash-sale", ["--spawn", p]);
      if (s) sales.push(s);
    }
  }
}
const fanouts: Json[] = [];
for (const p of profiles) {
  if (!skip.has("fanout")) {
    const f = await run(`fan-out ${p}, 1,000 sockets`, "fanout", ["--spawn", p, "--sockets", "1000", "--rate", "200", "--seconds", "10"]);
    if (f) fanouts.push(f);
  }
  if (!skip.has("rss")) {
    const f = await run(`fan-out ${p}, 5,000 sockets`, "fanout", ["--spawn", p, "--sockets", "5000", "--rate", "200", "--seconds", "10"]);
    if (f) fanouts.push(f);
  }
}
if (!skip.has("sweep")) {
  for (const c of sweep) {
    for (const p of profiles) {
      const g = await run(`gift burst ${p} at ${c} connections`, "gift-burst", ["--spawn", p, "--users", opts.users!, "--gifts", opts.gifts!, "--connections", String(c)]);
      if (g) bursts.push(g);
    }
  }
}
const end = await run("ceilings at the end", "ceilings", ceilingArgs);
if (end) ceilings.push(end);

// --- the tables ---
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number | null | undefined) => (n === null || n === undefined || Number.isNaN(n) ? "–" : n >= 1000 ? Math.round(n).toLocaleString("en-US") : String(round(n, n < 10 ? 2 : 1)));
const spread = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => typeof x === "number");
  return v.length === 0 ? "–" : v.length === 1 ? fmt(v[0]) : `${fmt(Math.min(...v))} / ${fmt(median(v))} / ${fmt(Math.max(...v))}`;
};
const hono = (c: number) => median(ceilings.flatMap((x) => (x.http as Json[]).filter((h) => h.target === "hono-hello" && h.connections === c).map((h) => h.rps as number)));
const ratio = (rps: number[], c: number) => (rps.length && hono(c) ? round(median(rps) / hono(c), 3) : "–");

const lines: string[] = [];
lines.push(`Suite "${label}", commit ${start?.machine?.commit ?? "?"}, ${runs} run(s); min / median / max where there are several.`, "");
lines.push("Ceilings (wrk, 1 thread, 5 s each; start → end):", "", "| target | connections | start req/s | end req/s |", "|---|---|---|---|");
for (const c of ceilingConnections) {
  for (const t of ["bun-hello", "hono-hello"]) {
    const at = (x: Json | null) => (x?.http as Json[] | undefined)?.find((h) => h.target === t && h.connections === c)?.rps ?? null;
    lines.push(`| ${t} | ${c} | ${fmt(at(start))} | ${fmt(at(end))} |`);
  }
}
const redisRows = (x: Json | null) => (x?.redis as Json[] | undefined) ?? [];
for (const r of redisRows(start ?? end)) {
  const at = (x: Json | null) => redisRows(x).find((y) => y.target === r.target && y.pipeline === r.pipeline)?.rps ?? null;
  lines.push(`| ${r.target} -P ${r.pipeline} (calls/s) | – | ${fmt(at(start))} | ${fmt(at(end))} |`);
}
lines.push("");
if (bursts.length) {
  lines.push(
    `Gift burst (${opts.users} users, ${opts.gifts} sends):`,
    "",
    "| profile | connections | runs | admission req/s | p50 ms | p99 ms | ratio to Hono | backlog at burst end | drained after burst s | persisted gifts/s | peak RSS MB | correct |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const p of profiles) {
    for (const c of [connections, ...sweep]) {
      const rs = bursts.filter((b) => b.profile === p && b.params.connections === c);
      if (!rs.length) continue;
      const rps = rs.map((b) => b.admission.rps as number);
      lines.push(
        `| ${p} | ${c} | ${rs.length} | ${spread(rps)} | ${spread(rs.map((b) => b.admission.p50Ms))} | ${spread(rs.map((b) => b.admission.p99Ms))} | ${ratio(rps, c)} | ${spread(rs.map((b) => b.persistence.backlogAtBurstEnd))} | ${spread(rs.map((b) => b.persistence.drainAfterBurstSec))} | ${spread(rs.map((b) => b.persistence.persistedPerSec))} | ${spread(rs.map((b) => b.peakRssMb ?? null))} | ${rs.every((b) => b.correctness.ok) ? "yes" : "NO"} |`,
      );
    }
  }
  lines.push("");
}
if (sales.length) {
  lines.push(
    "Flash sale (10,000 buyers over 1,000 connections, one SKU of 1,000 units):",
    "",
    "| profile | runs | orders/s answered | p50 ms | p99 ms | ratio to Hono (1,000 conns) | created | oversold | unanswered | peak RSS MB | correct |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const p of profiles) {
    const rs = sales.filter((s) => s.profile === p);
    if (!rs.length) continue;
    const rps = rs.map((s) => s.orders.rps as number);
    lines.push(
      `| ${p} | ${rs.length} | ${spread(rps)} | ${spread(rs.map((s) => s.orders.p50Ms))} | ${spread(rs.map((s) => s.orders.p99Ms))} | ${ratio(rps, FLASH_CONNECTIONS)} | ${spread(rs.map((s) => s.orders.created))} | ${spread(rs.map((s) => s.correctness.oversold))} | ${spread(rs.map((s) => s.orders.unanswered))} | ${spread(rs.map((s) => s.peakRssMb ?? null))} | ${rs.every((s) => s.correctness.ok) ? "yes" : "NO"} |`,
    );
  }
  lines.push("");
}
if (fanouts.length) {
  lines.push("Fan-out (200 sends/s for 10 s into one room):", "", "| profile | sockets | delivered msgs/s | effect p50 ms | effect p99 ms | lost | server peak RSS MB | client CPU % |", "|---|---|---|---|---|---|---|---|");
  for (const f of fanouts) {
    lines.push(`| ${f.profile} | ${fmt(f.params.sockets)} | ${fmt(f.delivery.msgsPerSec)} | ${fmt(f.delivery.p50Ms)} | ${fmt(f.delivery.p99Ms)} | ${f.delivery.lost} | ${fmt(f.peakRssMb ?? null)} | ${f.client.cpuPercent} |`);
  }
  lines.push("");
}
const failed = children.filter((c) => !c.ok);
if (failed.length) lines.push(`FAILED: ${failed.map((c) => c.what).join("; ")}`);
console.log(lines.join("\n"));
process.exit(failed.length ? 1 : 0);
