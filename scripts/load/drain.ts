// The gift consumer's drain rate on its own, without the HTTP admission in
// front of it: N sends of U users are admitted through the wallet exactly as
// the send path admits them and published straight into `send_gift`; then the
// consumer starts and the script times it until every send is decided (a gift
// record or a failure row) — persisted gifts/s. In-process, on a fresh
// deployment of the profile: a temporary SQLite file, or a fresh MariaDB
// database + Redis namespace + librdkafka's mock Kafka cluster.
//
//   bun run scripts/load/drain.ts --spawn cluster [--users 1000] [--sends 20000] [--label text]
//
// Then (unless --rate 0) the consumer's share of a gift effect's latency: for
// --seconds, --rate sends a second are admitted and published one by one, and
// each is timed from its admission until its push reaches the push bus — the
// send path without HTTP, and the effect without the WebSocket fan-out.
//
// Exit 1 when the sends are not all decided within --timeout, a timed send's
// push never comes, or the money is off.
import { sql } from "kysely";
import { checkInvariants } from "../check-invariants.ts";
import { loadConfig } from "../../src/config.ts";
import { createDeps } from "../../src/deps.ts";
import { TOPICS } from "../../src/eventlog/topics.ts";
import { giftBizId, type GiftSendEvent } from "../../src/gifts/send.ts";
import { PUSH_CHANNEL, type PushEnvelope } from "../../src/ws/push.ts";
import { deploymentEnv, runCleanups } from "./deployment.ts";
import { intOption, LatencyHistogram, parseCli, profileOption, progress, round, writeResult } from "./report.ts";

const USAGE = "bun run scripts/load/drain.ts --spawn embedded|cluster [--users 1000] [--sends 20000] [--timeout 300] [--rate 200] [--seconds 5] [--label text]";
const opts = parseCli(USAGE, {
  users: { type: "string" },
  sends: { type: "string" },
  timeout: { type: "string" },
  rate: { type: "string" },
  seconds: { type: "string" },
});
const profile = profileOption("spawn", opts.spawn, USAGE);
const users = intOption("users", opts.users ?? (opts.smoke ? 20 : 1000), 1);
const sends = intOption("sends", opts.sends ?? (opts.smoke ? 200 : 20_000), 1);
const timeoutSec = intOption("timeout", opts.timeout ?? 300, 1);
const rate = intOption("rate", opts.rate ?? 200, 0);
const rateSeconds = intOption("seconds", opts.seconds ?? (opts.smoke ? 1 : 5), 1);
const PRICE = 10;
const PUBLISH_CHUNK = 1000;
const ADMIT_CONCURRENCY = 32;

const { env, cleanups } = await deploymentEnv(profile, { name: "drain", mysqlUrl: String(opts["mysql-url"]), redisUrl: String(opts["redis-url"]) });
env.OVATION_JWT_SECRET = "drain-secret-0123456789abcdef";
env.OVATION_PAY_SECRET = "drain-secret-0123456789abcdef";
env.PORT = "0";

const deps = await createDeps(loadConfig(env));
const line = progress();
let failure: string | null = null;
let result: Record<string, unknown> = {};
try {
  // --- set up: coins for every user, one admission per send, all published ---
  const perUser = Math.ceil(sends / users);
  const firstUser = 1_000_000;
  for (let u = 0; u < users; u += ADMIT_CONCURRENCY) {
    await Promise.all(
      Array.from({ length: Math.min(ADMIT_CONCURRENCY, users - u) }, (_, k) =>
        deps.wallet.grant({ userId: firstUser + u + k, amount: perUser * PRICE, requestId: `drain-grant-${u + k}` }),
      ),
    );
  }
  const events: GiftSendEvent[] = [];
  for (let i = 0; i < sends; i++) {
    const senderId = firstUser + (i % users);
    const requestId = `drain-${i}`;
    events.push({ bizId: giftBizId(senderId, requestId), requestId, senderId, receiverId: 1, roomId: 1 + (i % 8), giftId: 1, giftName: "rose", price: PRICE, svgaUrl: "", acceptedAt: Date.now() });
  }
  for (let i = 0; i < events.length; i += ADMIT_CONCURRENCY) {
    await Promise.all(
      events.slice(i, i + ADMIT_CONCURRENCY).map(async (e) => {
        const r = await deps.wallet.admit({ userId: e.senderId, admissionId: e.requestId, amount: e.price, fingerprint: `drain-${e.roomId}` });
        if (r.kind !== "admitted") throw new Error(`send ${e.requestId} not admitted: ${r.kind}`);
      }),
    );
    line.update(`admitted ${Math.min(i + ADMIT_CONCURRENCY, sends)}/${sends}`);
  }
  for (let i = 0; i < events.length; i += PUBLISH_CHUNK) {
    await deps.events.publish(
      TOPICS.sendGift,
      events.slice(i, i + PUBLISH_CHUNK).map((e) => ({ key: String(e.senderId), value: JSON.stringify(e) })),
    );
  }
  line.update(`published ${sends} sends; starting the consumer`);

  // --- the drain ---
  const decided = async () => {
    const r = await sql<{ n: number }>`select (select count(*) from gift_record) + (select count(*) from gift_send_failure) as n`.execute(deps.store.db);
    return Number(r.rows[0]!.n);
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await deps.start({ consumers: true });
  let firstAt: number | null = null;
  let decidedAtFirst = 0;
  let n = 0;
  const deadline = started + timeoutSec * 1000;
  while (n < sends && performance.now() < deadline) {
    await Bun.sleep(20);
    n = await decided();
    if (n > 0 && firstAt === null) {
      firstAt = performance.now();
      decidedAtFirst = n;
    }
    line.update(`drain: ${n}/${sends} decided`);
  }
  const doneAt = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  line.end();
  if (n < sends) failure = `not drained: ${sends - n} send(s) undecided after ${timeoutSec} s`;
  // From the first send seen decided; when the first look already saw them all
  // (SQLite: the look waits for the consumer's writes), from the consumer's start.
  const drainFrom = decidedAtFirst < sends ? firstAt : started;
  const drainSec = drainFrom === null ? null : (doneAt - drainFrom) / 1000;
  const failed = Number((await sql<{ n: number }>`select count(*) as n from gift_send_failure`.execute(deps.store.db)).rows[0]!.n);
  if (failed > 0) failure ??= `${failed} send(s) failed although every sender had the coins`;
  const drain = {
    decided: n,
    failed,
    sec: drainSec === null ? null : round(drainSec, 2),
    giftsPerSec: drainSec ? Math.round(n / drainSec) : null,
    untilFirstSec: firstAt === null ? null : round((firstAt - started) / 1000, 2),
    /** This process's CPU (the consumer, plus the polling) per decided send, in µs: steadier than gifts/s on a shared machine. */
    cpuUsPerSend: n > 0 ? Math.round((cpu.user + cpu.system) / n) : null,
  };
  const latency = rate > 0 && !failure ? await timedSends(firstUser + users) : null;
  if (latency?.missing) failure ??= `${latency.missing} timed send(s) never pushed`;
  const problems = await checkInvariants(deps.store, deps.hot, { quiescent: true });
  if (problems.length > 0) failure ??= `invariant checker: ${problems.join("; ")}`;
  result = { profile, params: { users, sends, price: PRICE, rate, seconds: rateSeconds }, drain, latency, invariants: problems.length === 0 };
  console.log(
    `${profile}: ${n}/${sends} sends decided in ${drain.sec} s → ${drain.giftsPerSec} gifts/s (first decided ${drain.untilFirstSec} s after the start), ${drain.cpuUsPerSend} µs CPU per send; invariants ${problems.length === 0 ? "clean" : "FAILED"}`,
  );
  if (latency) console.log(`${profile}: ${latency.sent} sends at ${rate}/s, admission → push on the bus: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms`);
} finally {
  await deps.close().catch(() => undefined);
  await runCleanups(cleanups);
}
console.log(`result: ${writeResult("drain", { label: opts.label, ...result, failure })}`);
if (failure) {
  console.error(`FAIL: ${failure}`);
  process.exit(1);
}

/** --rate sends a second for --seconds, each timed from its admission until its gift push is on the bus. */
async function timedSends(firstSender: number) {
  const senders = 100;
  const total = rate * rateSeconds;
  const perSender = Math.ceil(total / senders);
  for (let u = 0; u < senders; u++) await deps.wallet.grant({ userId: firstSender + u, amount: perSender * PRICE, requestId: `timed-grant-${u}` });
  const startedAt = new Map<string, number>();
  const hist = new LatencyHistogram();
  await deps.hot.bus.subscribe(PUSH_CHANNEL, (raw) => {
    const at = performance.now();
    for (const m of (JSON.parse(raw) as PushEnvelope).messages) {
      const sent = startedAt.get((m.data as { requestId: string }).requestId);
      if (sent !== undefined) hist.record(at - sent);
    }
  });
  const begin = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = begin + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const senderId = firstSender + (i % senders);
    const requestId = `timed-${i}`;
    const e: GiftSendEvent = { bizId: giftBizId(senderId, requestId), requestId, senderId, receiverId: 1, roomId: 1, giftId: 1, giftName: "rose", price: PRICE, svgaUrl: "", acceptedAt: Date.now() };
    startedAt.set(requestId, performance.now());
    inFlight.push(
      (async () => {
        const r = await deps.wallet.admit({ userId: senderId, admissionId: requestId, amount: PRICE, fingerprint: "timed" });
        if (r.kind !== "admitted") throw new Error(`timed send ${requestId} not admitted: ${r.kind}`);
        await deps.events.publish(TOPICS.sendGift, [{ key: String(senderId), value: JSON.stringify(e) }]);
      })(),
    );
    line.update(`timed sends: ${i + 1}/${total}, ${hist.count} pushed`);
  }
  await Promise.all(inFlight);
  const deadline = performance.now() + 30_000;
  while (hist.count < total && performance.now() < deadline) await Bun.sleep(20);
  line.end();
  return { sent: total, missing: total - hist.count, p50Ms: hist.percentile(50), p99Ms: hist.percentile(99), maxMs: round(hist.max) };
}
