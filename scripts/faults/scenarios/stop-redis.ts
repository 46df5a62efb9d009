// Redis stopped (SHUTDOWN SAVE: its data comes back with it) for the outage
// length between two halves of a burst. Every send during the outage must
// answer 503 UNAVAILABLE within 2 s, and none of them may be executed later,
// whether its client got an answer or gave up; after the restart the server
// must become ready again by itself (its Redis connection reconnects in the
// background: /readyz 200, `readyAgainMs`) and then accept sends.
import { ErrorCodes } from "../../../src/lib/errors.ts";
import { countAnswers, log } from "../traffic.ts";
import { CLIENT_TIMEOUT_MS, type Scenario } from "../scenario.ts";

/** The contract: a store outage is answered, fast. */
const OUTAGE_ANSWER_MS = 2_000;
/** A client waiting this long for an answer has given up. */
export const OUTAGE_CLIENT_TIMEOUT_MS = 5_000;
export const OUTAGE_SENDS_PER_SEC = 10;
/** Bound on the server noticing Redis is back (its reconnects are paced at most 200 ms apart). */
const READY_AGAIN_MS = 10_000;

/** Polls /readyz until it answers 200; ms it took, or null when the bound ran out. */
async function readyAgain(baseUrl: string): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < READY_AGAIN_MS) {
    const ok = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    if (ok) return Math.round(performance.now() - started);
    await Bun.sleep(50);
  }
  return null;
}
const UNAVAILABLE_STATUS = ErrorCodes.UNAVAILABLE[1];

export const stopRedis: Scenario = {
  name: "stop-redis",
  summary: "stop Redis for the outage length between two halves of a burst; sends meanwhile must answer 503 within 2 s",
  async run(rig, opts) {
    const half = Math.ceil(opts.sends / 2);
    await rig.traffic.burst({ count: half, concurrency: opts.concurrency, timeoutMs: CLIENT_TIMEOUT_MS });
    await rig.redis.stop();
    log(`redis stopped for ${opts.outageSec} s`);
    const outage = await rig.traffic.trickle(opts.outageSec, OUTAGE_SENDS_PER_SEC, OUTAGE_CLIENT_TIMEOUT_MS);
    await rig.redis.start();
    const readyAgainMs = await readyAgain(rig.server.url);
    log(`redis back; server ready again after ${readyAgainMs ?? "(never)"} ms`);
    const recoveryStart = rig.traffic.sends.size;
    await rig.traffic.burst({ count: opts.sends - half, concurrency: opts.concurrency, timeoutMs: CLIENT_TIMEOUT_MS });
    const recovery = [...rig.traffic.sends.values()].slice(recoveryStart);

    const fast503 = outage.filter((s) => s.answer === UNAVAILABLE_STATUS && s.ms <= OUTAGE_ANSWER_MS).length;
    const slowest = Math.round(Math.max(0, ...outage.map((s) => s.ms)));
    const recovered = recovery.filter((s) => s.answer === 202).length;
    const violations: string[] = [];
    if (fast503 < outage.length) violations.push(`${outage.length - fast503} of ${outage.length} outage send(s) not answered 503 within ${OUTAGE_ANSWER_MS} ms`);
    if (readyAgainMs === null) violations.push(`server not ready within ${READY_AGAIN_MS} ms of Redis coming back`);
    if (recovered === 0) violations.push("no send accepted after Redis came back");
    return {
      counts: { outageSends: outage.length, outageAnswers: countAnswers(outage), answered503Within2s: fast503, slowestOutageMs: slowest, readyAgainMs, recoveryAccepted: `${recovered}/${recovery.length}` },
      violations,
      // A client that timed out walked away too: its send must never run.
      notExecutedAnswers: (a) => a !== 202 && a !== "network",
    };
  },
};
