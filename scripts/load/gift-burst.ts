// A gift burst: U users send G gifts (gift 24) into one living room through
// wrk at C connections, each with its own requestId. Measures admission req/s
// and p50/p99, the backlog when the burst ends, the time until every accepted
// send is persisted and pushed, persisted gifts/s; then checks the money.
//
//   bun run scripts/load/gift-burst.ts [--url http://127.0.0.1:8080 | --spawn embedded|cluster]
//     [--users 10000] [--gifts 100000] [--connections 64] [--threads 1]
//     [--drain-timeout 300] [--cold-wallets] [--smoke] [--plant-loss] [--no-invariants] [--label text]
//
// The users' coins are granted first, which loads their hot wallets (a send
// after a recharge is warm). --cold-wallets (with --spawn only) then drops
// every hot wallet, so each user's first send loads it from the database: the
// admission of a user whose wallet is not in the hot store (expired, evicted).
// The server's CPU time during the burst is printed per answered send.
//
// How "persisted and pushed" is known, cheaply and exactly: a WebSocket in the
// room collects the requestIds of the gift effects of this run (a send is
// pushed only after it is persisted), and the drain ends when every accepted
// send's effect arrived. Then the money: the users are fresh, so the sum of
// their balances (GET /api/wallet, the database's truth) must equal coins
// granted − accepted × price; a sample of sends must read "success"; and the
// invariant checker (scripts/check-invariants.ts --quiescent) must pass.
// Requests wrk gave up on (timeouts) have an unknown outcome and widen the
// expected range by that many sends.
//
// Exit 1 on a correctness failure: lost (accepted but not persisted), doubled
// (more debited than sent), a sample still pending, effects not all pushed
// within the drain timeout, or the invariant checker failing. --plant-loss
// counts one accepted send the server never saw, to show the check fails.
import { giftRequestId, mapConcurrent, runInvariantChecker } from "./ovation.ts";
import { GIFT_ID, runSession } from "./session.ts";
import { intOption, parseCli, round, writeResult } from "./report.ts";
import { runFixedSends, wrkFigures, wrkRate } from "./wrk.ts";

const SETUP_CONCURRENCY = 16;
const USAGE = "bun run scripts/load/gift-burst.ts [--url URL | --spawn embedded|cluster] [--users 10000] [--gifts 100000] [--connections 64] [--threads 1] [--drain-timeout 300] [--sample 200] [--cold-wallets] [--smoke] [--plant-loss] [--no-invariants] [--label text]";
const opts = parseCli(USAGE, {
  users: { type: "string" },
  gifts: { type: "string" },
  connections: { type: "string" },
  "drain-timeout": { type: "string" },
  sample: { type: "string" },
  "plant-loss": { type: "boolean", default: false },
  "cold-wallets": { type: "boolean", default: false },
  "no-invariants": { type: "boolean", default: false },
});
const users = intOption("users", opts.users ?? (opts.smoke ? 50 : 10_000), 1);
const gifts = intOption("gifts", opts.gifts ?? (opts.smoke ? 500 : 100_000), 1);
const connections = intOption("connections", opts.connections ?? (opts.smoke ? 8 : 64), 1);
const threads = intOption("threads", opts.threads, 1);
const drainTimeoutSec = intOption("drain-timeout", opts["drain-timeout"] ?? (opts.smoke ? 60 : 300), 1);
const sampleSize = Math.min(gifts, intOption("sample", opts.sample ?? (opts.smoke ? 50 : 200), 0));

await runSession(opts, "b", async ({ target, api, line, runId, anchorId, adminToken, anchorToken, roomId, price, freshUsers, warmUp }) => {
  const senderIds = freshUsers(users);
  // --- setup: tokens, coins ---
  line.update(`setup: ${users} tokens …`);
  const tokens = await mapConcurrent(senderIds, SETUP_CONCURRENCY, (id) => api.token(id, "viewer"));
  // Each user sends ⌈G/U⌉ at most; user 0 also sends the warm-up.
  const perUser = Math.ceil(gifts / users) * price;
  let granted = 0;
  await mapConcurrent(senderIds, SETUP_CONCURRENCY, async (id, i) => {
    const amount = perUser + (i === 0 ? price : 0);
    await api.grant(adminToken, id, amount, `${runId}-grant-${i}`);
    granted += amount;
    if (i % 200 === 0) line.update(`setup: granted ${i}/${users} users`);
  });
  if (opts["cold-wallets"]) {
    if (!target.dropHotWallets) throw new Error("--cold-wallets needs --spawn (it drops the spawned server's hot wallets)");
    line.update("setup: dropping the hot wallets …");
    await target.dropHotWallets();
  }

  // --- the room's listener: which sends of this run were pushed, and when ---
  const pushed = new Uint8Array(gifts);
  let pushedCount = 0;
  let warmPushed = false;
  let lastPushAt = 0;
  const prefix = `${runId}-`;
  const listener = await api.joinRoom(anchorToken, roomId, (raw) => {
    const rid = giftRequestId(raw);
    if (!rid?.startsWith(prefix)) return;
    const k = rid.slice(prefix.length);
    if (k === "warm") warmPushed = true;
    else if (pushed[Number(k)] === 0) {
      pushed[Number(k)] = 1;
      pushedCount += 1;
      lastPushAt = performance.now();
    }
  });

  await warmUp(tokens[0]!, () => warmPushed, () => "waiting for the first effect");

  // --- the burst ---
  const cpuAtStart = target.cpuMs();
  const burstStart = performance.now();
  const wrk = await runFixedSends({
    url: target.baseUrl,
    threads,
    connections,
    tokens,
    path: "/api/gifts/send",
    acceptedStatus: 202,
    bodyPrefix: `{"giftId":${GIFT_ID},"roomId":${roomId},"receiverId":${anchorId},"requestId":"${runId}-`,
    bodySuffix: '"}',
    total: gifts,
    onProgress(answered, acceptedSoFar) {
      const s = (performance.now() - burstStart) / 1000;
      line.update(`burst: ${answered}/${gifts} answered, ${acceptedSoFar} accepted, ${Math.round(answered / s)} req/s, ${pushedCount} pushed`);
    },
  });
  const burstEnd = performance.now();
  const cpuAtEnd = target.cpuMs();
  const { answered: answeredTotal, accepted, statuses } = wrk;
  const unknown = gifts - answeredTotal;
  const backlogAtBurstEnd = accepted - pushedCount;

  // --- drain: until every accepted send's effect arrived ---
  const drainDeadline = burstEnd + drainTimeoutSec * 1000;
  while (pushedCount < accepted && performance.now() < drainDeadline) {
    const s = (performance.now() - burstEnd) / 1000;
    line.update(`drain: ${pushedCount}/${accepted} pushed, ${round(s)} s after the burst`);
    await Bun.sleep(100);
  }
  const drained = pushedCount >= accepted;
  listener.close();

  // --- the money ---
  line.update(`check: reading ${users} balances …`);
  const balances = await mapConcurrent(tokens, SETUP_CONCURRENCY, (t) => api.balance(t));
  const remaining = balances.reduce((a, b) => a + b, 0);
  const debitedSends = (granted - remaining) / price - 1; // minus the warm-up
  const expected = accepted + (opts["plant-loss"] ? 1 : 0);
  const lost = Math.max(0, expected - debitedSends);
  const doubled = Math.max(0, debitedSends - (expected + unknown));

  line.update(`check: ${sampleSize} send statuses …`);
  const sampleKs = Array.from({ length: sampleSize }, (_, i) => Math.floor((i * gifts) / sampleSize));
  const sampleStatuses: Record<string, number> = {};
  await mapConcurrent(sampleKs, SETUP_CONCURRENCY, async (k) => {
    const s = await api.sendStatus(tokens[k % users]!, `${runId}-${k}`);
    sampleStatuses[s] = (sampleStatuses[s] ?? 0) + 1;
  });

  let invariants: { ok: boolean; output: string } | { ok: null; output: string } = { ok: null, output: "skipped (--no-invariants)" };
  if (!opts["no-invariants"]) {
    line.update("check: invariant checker …");
    invariants = await runInvariantChecker(target);
  }
  line.end();

  const burstSec = (burstEnd - burstStart) / 1000;
  const untilPersistedSec = drained ? (Math.max(lastPushAt, burstEnd) - burstStart) / 1000 : null;
  const failures: string[] = [];
  if (lost > 0) failures.push(`lost: ${lost} accepted send(s) not persisted (debited ${debitedSends}, accepted ${expected})`);
  if (doubled > 0) failures.push(`doubled: ${doubled} more send(s) debited than were sent`);
  if (!drained) failures.push(`not drained: ${accepted - pushedCount} accepted send(s) without an effect ${drainTimeoutSec} s after the burst`);
  if (sampleStatuses.accepted) failures.push(`${sampleStatuses.accepted} sampled send(s) still "accepted" after the drain`);
  if (invariants.ok === false) failures.push(`invariant checker: ${invariants.output}`);

  const result = {
    label: opts.label,
    profile: target.profile,
    target: target.baseUrl,
    params: { users, gifts, connections, threads, giftId: GIFT_ID, price, drainTimeoutSec, coldWallets: opts["cold-wallets"], plantLoss: opts["plant-loss"], smoke: opts.smoke },
    admission: {
      rps: Math.round(wrkRate(wrk, answeredTotal)),
      acceptedRps: Math.round(accepted / burstSec),
      ...wrkFigures(wrk),
      burstSec: round(burstSec, 2),
      answered: answeredTotal,
      accepted,
      unknown,
      statuses,
      /** Server CPU (user + system) during the burst per answered send, consumer work included; null for a remote server. */
      serverCpuMsPerSend: cpuAtStart === undefined || cpuAtEnd === undefined || answeredTotal === 0 ? null : round((cpuAtEnd - cpuAtStart) / answeredTotal, 3),
    },
    persistence: {
      backlogAtBurstEnd,
      drained,
      untilPersistedSec: untilPersistedSec === null ? null : round(untilPersistedSec, 2),
      drainAfterBurstSec: drained ? round(Math.max(0, lastPushAt - burstEnd) / 1000, 2) : null,
      persistedPerSec: untilPersistedSec ? Math.round(accepted / untilPersistedSec) : null,
      pushed: pushedCount,
    },
    correctness: { ok: failures.length === 0, lost, doubled, debitedSends, sampleStatuses, invariants, failures },
    peakRssMb: target.peakRssMb(),
  };
  const file = writeResult("gift-burst", result);

  console.log(`gift-burst on ${target.profile} (${target.baseUrl}): ${gifts} sends by ${users} users, ${connections} connections, ${opts["cold-wallets"] ? "cold" : "warm"} wallets`);
  console.log(`  admission  ${result.admission.rps} req/s (${result.admission.acceptedRps} accepted/s), p50 ${result.admission.p50Ms} ms, p99 ${result.admission.p99Ms} ms; ${accepted} accepted, statuses ${JSON.stringify(statuses)}, ${unknown} unknown; wrk used ${wrk.cpuPercent}% of a core${result.admission.serverCpuMsPerSend === null ? "" : `; server CPU ${result.admission.serverCpuMsPerSend} ms per send during the burst`}`);
  console.log(`  persisted  backlog ${backlogAtBurstEnd} at burst end; all pushed ${drained ? `${result.persistence.untilPersistedSec} s after the burst began (${result.persistence.drainAfterBurstSec} s after it ended), ${result.persistence.persistedPerSec} gifts/s` : "NOT within the drain timeout"}`);
  console.log(`  money      debited ${debitedSends} sends, lost ${lost}, doubled ${doubled}; sample ${JSON.stringify(sampleStatuses)}; invariants ${invariants.ok === null ? "skipped" : invariants.ok ? "hold" : "VIOLATED"}`);
  if (result.peakRssMb !== undefined) console.log(`  server     peak RSS ${result.peakRssMb} MB`);
  console.log(`  → ${file}`);
  for (const f of failures) console.error(`FAIL ${f}`);
  return failures.length === 0 ? 0 : 1;
});
