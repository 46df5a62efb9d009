// The fault suite's runner: one scenario per run, a bounded, self-stopping
// run on the cluster profile that prints its counts and exits 1 on any
// violation (docs/faults.md).
//
//   bun run scripts/faults/run.ts <scenario> [--sends N] [--users N]
//       [--concurrency N] [--settle-sec N] [--outage-sec N] [--slot 0-4|free] [--keep]
//
// Needs redis-server, kcat and a MariaDB/MySQL server it may create a
// database on (OVATION_FAULTS_MYSQL_URL, default mysql://root@127.0.0.1:3306/).
import { parseArgs } from "node:util";
import { quiescentCheck, reportViolations } from "./quiescent.ts";
import { FAULT_SLOTS } from "./processes.ts";
import { createRig } from "./rig.ts";
import type { Scenario, ScenarioOptions } from "./scenario.ts";
import { log } from "./traffic.ts";
import { flushRedis } from "./scenarios/flush-redis.ts";
import { replaceBroker } from "./scenarios/replace-broker.ts";
import { stopRedis } from "./scenarios/stop-redis.ts";
import { killServer, stopServer } from "./scenarios/restart-server.ts";
import { crashDatabase } from "./scenarios/crash-database.ts";

export const SCENARIOS: Scenario[] = [killServer, stopServer, replaceBroker, flushRedis, stopRedis, crashDatabase];

const DEFAULTS: ScenarioOptions = { sends: 2000, users: 20, concurrency: 200, settleSec: 120, outageSec: 30 };

function usage(): never {
  console.error("usage: bun run scripts/faults/run.ts <scenario> [--sends N] [--users N] [--concurrency N] [--settle-sec N] [--outage-sec N] [--slot 0-4|free] [--keep]");
  for (const s of SCENARIOS) console.error(`  ${s.name.padEnd(16)} ${s.summary}`);
  process.exit(2);
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive whole number, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    sends: { type: "string" },
    users: { type: "string" },
    concurrency: { type: "string" },
    "settle-sec": { type: "string" },
    "outage-sec": { type: "string" },
    slot: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const scenario = SCENARIOS.find((s) => s.name === positionals[0]);
if (!scenario || positionals.length !== 1) usage();
const opts: ScenarioOptions = {
  sends: positive("sends", values.sends, DEFAULTS.sends),
  users: positive("users", values.users, DEFAULTS.users),
  concurrency: positive("concurrency", values.concurrency, DEFAULTS.concurrency),
  settleSec: positive("settle-sec", values["settle-sec"], DEFAULTS.settleSec),
  outageSec: positive("outage-sec", values["outage-sec"], DEFAULTS.outageSec),
};

log(`scenario ${scenario.name}: ${scenario.summary} (${JSON.stringify(opts)})`);
const slot = values.slot === undefined ? 0 : values.slot === "free" ? "free" : Number(values.slot);
if (slot !== "free" && !(Number.isInteger(slot) && slot >= 0 && slot < FAULT_SLOTS)) usage();
const rig = await createRig({ users: opts.users, slot, privateDatabase: scenario.privateDatabase });
let violations: string[] = [];
try {
  const result = await scenario.run(rig, opts);
  log("traffic stopped; waiting for quiescence");
  const report = await quiescentCheck({ traffic: rig.traffic, env: rig.env, boundMs: opts.settleSec * 1000, notExecutedAnswers: result.notExecutedAnswers });
  violations = [...result.violations, ...reportViolations(report)];
  const summary = {
    scenario: scenario.name,
    sends: rig.traffic.sends.size,
    ...result.counts,
    acceptedUnfinished: report.acceptedUnfinished,
    unfinishedStatus: report.unfinishedStatus,
    refusedButExecuted: report.refusedButExecuted,
    coinsHeld: report.coinsHeld,
    doubleEffects: report.doubleEffects,
    invariantChecker: report.checkerOk ? "ok" : `${report.checkerViolations} violation(s)`,
    settledInMs: report.settledInMs === null ? null : Math.round(report.settledInMs),
    serverStartsMs: rig.starts.map((s) => `${s.why}: ${Math.round(s.ms)}`),
  };
  for (const [k, v] of Object.entries(summary)) console.log(`  ${k.padEnd(20)} ${typeof v === "string" ? v : JSON.stringify(v)}`);
} finally {
  await rig.close(values.keep ?? false);
}
console.log(violations.length === 0 ? `PASS ${scenario.name}` : `FAIL ${scenario.name}: ${violations.join("; ")}`);
process.exit(violations.length === 0 ? 0 : 1);
