// The end of every fault scenario: with the traffic stopped, wait (bounded)
// until the system should have settled, then hold every send to its outcome
// and count what the contract forbids:
//   accepted unfinished  answered 202, yet neither a gift record nor a failure
//                        row in the database (GET /api/gifts/sends says why)
//   refused but executed answered anything but 202 (or not at all before the
//                        client gave up) and still debited
//   coins held           hot `available` ≠ database balance for a user
//   double effects       a business id with two ledger rows or two gift
//                        records, or a send both recorded and failed
// and runs the invariant checker (scripts/check-invariants.ts --quiescent)
// as an operator would, against the same database and Redis.
import { createConnection, type Connection } from "mysql2/promise";
import { join } from "node:path";
import { createRedisHot } from "../../src/hot/index.ts";
import { giftBizId } from "../../src/gifts/send.ts";
import { waitFor } from "./processes.ts";
import { log, type Answer, type SendRecord, type Traffic } from "./traffic.ts";

const REPO_ROOT = join(import.meta.dir, "..", "..");
const ACCEPTED = 202;

export interface QuiescentReport {
  acceptedUnfinished: number;
  /** GET /api/gifts/sends answers for the unfinished ones, by answer. */
  unfinishedStatus: Record<string, number>;
  refusedButExecuted: number;
  coinsHeld: number;
  doubleEffects: number;
  checkerViolations: number;
  checkerOk: boolean;
  settledInMs: number | null;
}

interface Outcomes {
  executed: Set<string>;
  failed: Set<string>;
}

async function outcomes(db: Connection): Promise<Outcomes> {
  const [records] = await db.query("SELECT biz_id FROM gift_record");
  const [failures] = await db.query("SELECT biz_id FROM gift_send_failure");
  return {
    executed: new Set((records as { biz_id: string }[]).map((r) => r.biz_id)),
    failed: new Set((failures as { biz_id: string }[]).map((r) => r.biz_id)),
  };
}

const bizOf = (s: SendRecord) => giftBizId(s.userId, s.requestId);

function unfinished(sends: SendRecord[], o: Outcomes): SendRecord[] {
  return sends.filter((s) => s.history.includes(ACCEPTED) && !o.executed.has(bizOf(s)) && !o.failed.has(bizOf(s)));
}

async function coinsHeld(db: Connection, available: (userId: number) => Promise<number | null>): Promise<string[]> {
  const [rows] = await db.query("SELECT user_id, current_balance FROM currency_account");
  const held: string[] = [];
  for (const r of rows as { user_id: number | string; current_balance: number | string }[]) {
    const hot = await available(Number(r.user_id));
    if (hot !== null && hot !== Number(r.current_balance)) held.push(`user ${r.user_id}: hot ${hot} ≠ balance ${r.current_balance}`);
  }
  return held;
}

async function doubleEffects(db: Connection): Promise<string[]> {
  const found: string[] = [];
  for (const [table, what] of [
    ["currency_trade", "ledger rows"],
    ["gift_record", "gift records"],
  ] as const) {
    const [rows] = await db.query(`SELECT biz_id, COUNT(*) AS n FROM ${table} GROUP BY biz_id HAVING COUNT(*) > 1`);
    for (const r of rows as { biz_id: string; n: number }[]) found.push(`${r.biz_id}: ${r.n} ${what}`);
  }
  const [both] = await db.query("SELECT g.biz_id FROM gift_record g JOIN gift_send_failure f ON f.biz_id = g.biz_id");
  for (const r of both as { biz_id: string }[]) found.push(`${r.biz_id}: both recorded and failed`);
  return found;
}

async function runChecker(env: Record<string, string>): Promise<{ ok: boolean; violations: number; output: string }> {
  const p = Bun.spawn([process.execPath, "run", "scripts/check-invariants.ts", "--quiescent"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, OVATION_LOG: "silent" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const code = await p.exited;
  const m = /(\d+) violation\(s\)/.exec(out);
  return { ok: code === 0, violations: m ? Number(m[1]) : code === 0 ? 0 : -1, output: (out + err).trim() };
}

/**
 * Waits up to `boundMs` for every accepted send to end and every wallet to
 * match the database, then counts. `definite` = answers that promise the send
 * was not executed (a client that got them, or gave up, may walk away).
 */
export async function quiescentCheck(opts: {
  traffic: Traffic;
  env: Record<string, string>;
  boundMs: number;
  notExecutedAnswers?: (a: Answer) => boolean;
}): Promise<QuiescentReport> {
  const { traffic, env } = opts;
  const notExecuted = opts.notExecutedAnswers ?? ((a: Answer) => a !== ACCEPTED && a !== "network");
  const db = await createConnection(env.OVATION_MYSQL_URL!);
  const hot = await createRedisHot({ url: env.OVATION_REDIS_URL!, namespace: env.OVATION_NAMESPACE! });
  try {
    const sends = [...traffic.sends.values()];
    const began = performance.now();
    const settled = await waitFor(
      async () => unfinished(sends, await outcomes(db)).length === 0 && (await coinsHeld(db, (u) => hot.coins.getAvailable(u))).length === 0,
      opts.boundMs,
      500,
    );
    const settledInMs = settled ? performance.now() - began : null;
    log(settled ? `settled in ${Math.round(settledInMs!)} ms` : `not settled within ${opts.boundMs} ms; counting as it stands`);

    const o = await outcomes(db);
    const stuck = unfinished(sends, o);
    const unfinishedStatus: Record<string, number> = {};
    for (const s of stuck) {
      const st = await traffic.statusOf(s).catch((e: Error) => `error_${e.name}`);
      unfinishedStatus[st] = (unfinishedStatus[st] ?? 0) + 1;
    }
    const refusedExecuted = sends.filter((s) => notExecuted(s.answer) && !s.history.includes(ACCEPTED) && o.executed.has(bizOf(s)));
    const held = await coinsHeld(db, (u) => hot.coins.getAvailable(u));
    const doubles = await doubleEffects(db);
    const checker = await runChecker(env);
    for (const line of [...held.slice(0, 5), ...doubles.slice(0, 5)]) log(`  ${line}`);
    for (const s of refusedExecuted.slice(0, 5)) log(`  ${s.requestId} answered ${s.history.join(" then ")} but was executed`);
    if (!checker.ok) log(`invariant checker:\n${checker.output.split("\n").slice(0, 10).join("\n")}`);
    return {
      acceptedUnfinished: stuck.length,
      unfinishedStatus,
      refusedButExecuted: refusedExecuted.length,
      coinsHeld: held.length,
      doubleEffects: doubles.length,
      checkerViolations: checker.violations,
      checkerOk: checker.ok,
      settledInMs,
    };
  } finally {
    await hot.close();
    await db.end();
  }
}

export function reportViolations(r: QuiescentReport): string[] {
  const v: string[] = [];
  if (r.acceptedUnfinished > 0) v.push(`${r.acceptedUnfinished} accepted send(s) unfinished`);
  if (r.refusedButExecuted > 0) v.push(`${r.refusedButExecuted} refused send(s) executed`);
  if (r.coinsHeld > 0) v.push(`${r.coinsHeld} user(s) with coins held`);
  if (r.doubleEffects > 0) v.push(`${r.doubleEffects} double effect(s)`);
  if (!r.checkerOk) v.push(`invariant checker failed (${r.checkerViolations} violation(s))`);
  return v;
}
