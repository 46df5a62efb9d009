// Gift effects fanned out to a full room: R sockets join one living room,
// senders send gift 24 at a fixed rate (open loop) for a number of seconds,
// and every socket must receive every accepted send's effect. Measures
// delivered messages/s and the effect latency from the moment a send left
// this client to its receipt on each socket (p50/p99 over all deliveries).
//
//   bun run scripts/load/fanout.ts [--url http://127.0.0.1:8080 | --spawn embedded|cluster]
//     [--sockets 5000] [--rate 20] [--seconds 10] [--senders 100]
//     [--drain-timeout 60] [--smoke] [--plant-loss] [--label text]
//
// The sockets and the sender live in this one process; its CPU use over the
// run is reported so a reader can tell whether the client kept up.
// Exit 1 when any socket missed an accepted send's effect (lost > 0) after the
// drain timeout. --plant-loss expects one effect nobody sent, to show it fails.
import { giftRequestId, mapConcurrent } from "./ovation.ts";
import { intOption, LatencyHistogram, parseCli, round, writeResult } from "./report.ts";
import { runSession } from "./session.ts";

const SETUP_CONCURRENCY = 16;
const CONNECT_CONCURRENCY = 64;
const TICK_MS = 10;
const USAGE = "bun run scripts/load/fanout.ts [--url URL | --spawn embedded|cluster] [--sockets 5000] [--rate 20] [--seconds 10] [--senders 100] [--drain-timeout 60] [--smoke] [--plant-loss] [--label text]";
const opts = parseCli(USAGE, {
  sockets: { type: "string" },
  rate: { type: "string" },
  seconds: { type: "string" },
  senders: { type: "string" },
  "drain-timeout": { type: "string" },
  "plant-loss": { type: "boolean", default: false },
});
const socketCount = intOption("sockets", opts.sockets ?? (opts.smoke ? 50 : 5_000), 1);
const rate = intOption("rate", opts.rate ?? 20, 1);
const seconds = intOption("seconds", opts.seconds ?? (opts.smoke ? 3 : 10), 1);
const senderCount = intOption("senders", opts.senders ?? (opts.smoke ? 5 : 100), 1);
const drainTimeoutSec = intOption("drain-timeout", opts["drain-timeout"] ?? (opts.smoke ? 30 : 60), 1);
const sends = rate * seconds;

await runSession(opts, "f", async ({ target, api, line, runId, adminToken, roomId, price, freshUsers, send, warmUp }) => {
  const senderIds = freshUsers(senderCount);
  const viewerIds = freshUsers(socketCount);
  const senderTokens = await mapConcurrent(senderIds, SETUP_CONCURRENCY, (id) => api.token(id, "viewer"));
  const perSender = (Math.ceil(sends / senderCount) + 1) * price;
  await mapConcurrent(senderIds, SETUP_CONCURRENCY, (id, i) => api.grant(adminToken, id, perSender, `${runId}-grant-${i}`));

  // --- the room: R sockets, each remembering which sends reached it ---
  const received = new Uint8Array(socketCount * sends);
  const receivedBy = new Uint32Array(socketCount);
  const warmSeen = new Uint8Array(socketCount);
  let warmCount = 0;
  let deliveries = 0;
  let duplicates = 0;
  let lastDeliveryAt = 0;
  const sentAt = new Float64Array(sends);
  const latency = new LatencyHistogram();
  const prefix = `${runId}-`;
  const sockets: WebSocket[] = [];
  let opened = 0;
  await mapConcurrent(viewerIds, CONNECT_CONCURRENCY, async (id, s) => {
    const token = await api.token(id, "viewer");
    sockets.push(
      await api.joinRoom(token, roomId, (raw) => {
        const rid = giftRequestId(raw);
        if (!rid?.startsWith(prefix)) return;
        const key = rid.slice(prefix.length);
        if (key === "warm") {
          if (warmSeen[s] === 0) (warmSeen[s] = 1), (warmCount += 1);
          return;
        }
        const k = Number(key);
        const slot = s * sends + k;
        if (received[slot] === 1) return void (duplicates += 1);
        const now = performance.now();
        received[slot] = 1;
        receivedBy[s]! += 1;
        deliveries += 1;
        lastDeliveryAt = now;
        latency.record(now - sentAt[k]!);
      }),
    );
    opened += 1;
    if (opened % 100 === 0) line.update(`setup: ${opened}/${socketCount} sockets in room ${roomId}`);
  });

  // One effect reaches every socket before the clock starts.
  await warmUp(senderTokens[0]!, () => warmCount === socketCount, () => `the first effect reached ${warmCount}/${socketCount} sockets`);

  // --- sending at a fixed rate, open loop ---
  const accepted = new Uint8Array(sends);
  const statuses: Record<string, number> = {};
  const inFlight: Promise<void>[] = [];
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let sent = 0;
  while (sent < sends) {
    const due = Math.min(sends, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const k = sent;
      sentAt[k] = performance.now();
      inFlight.push(
        send(senderTokens[k % senderCount]!, `${runId}-${k}`).then((r) => {
            statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            if (r.status === 202) accepted[k] = 1;
          }),
      );
    }
    const s = (performance.now() - start) / 1000;
    line.update(`sending: ${sent}/${sends} sent, ${deliveries} delivered (${Math.round(deliveries / s)} msgs/s), p99 ${latency.percentile(99)} ms`);
    await Bun.sleep(TICK_MS);
  }
  await Promise.all(inFlight);
  const sendEnd = performance.now();
  const acceptedCount = accepted.reduce((a, b) => a + b, 0);
  const expectedPerSocket = acceptedCount + (opts["plant-loss"] ? 1 : 0);

  // --- drain: every socket has every accepted effect ---
  const drainDeadline = sendEnd + drainTimeoutSec * 1000;
  while (deliveries < acceptedCount * socketCount && performance.now() < drainDeadline) {
    line.update(`drain: ${deliveries}/${acceptedCount * socketCount} delivered`);
    await Bun.sleep(100);
  }
  const cpu = process.cpuUsage(cpuStart);
  const wallSec = (Math.max(lastDeliveryAt, sendEnd) - start) / 1000;
  for (const ws of sockets) ws.close();
  line.end();

  // A socket may only hold effects of accepted sends, and must hold them all.
  let lost = 0;
  let unexpected = 0;
  for (let s = 0; s < socketCount; s++) {
    lost += Math.max(0, expectedPerSocket - receivedBy[s]!);
    for (let k = 0; k < sends; k++) if (received[s * sends + k] === 1 && accepted[k] === 0) unexpected += 1;
  }
  const failures: string[] = [];
  if (lost > 0) failures.push(`lost: ${lost} effect(s) never reached their socket within ${drainTimeoutSec} s`);
  if (unexpected > 0) failures.push(`${unexpected} effect(s) of sends that were not accepted`);
  if (acceptedCount === 0) failures.push("no send was accepted");

  const result = {
    label: opts.label,
    profile: target.profile,
    target: target.baseUrl,
    params: { sockets: socketCount, rate, seconds, senders: senderCount, sends, drainTimeoutSec, plantLoss: opts["plant-loss"], smoke: opts.smoke },
    sends: { sent: sends, accepted: acceptedCount, statuses },
    delivery: {
      delivered: deliveries,
      expected: expectedPerSocket * socketCount,
      msgsPerSec: Math.round(deliveries / wallSec),
      p50Ms: latency.percentile(50),
      p90Ms: latency.percentile(90),
      p99Ms: latency.percentile(99),
      maxMs: round(latency.max, 1),
      duplicates,
      lost,
    },
    client: { cpuPercent: round(((cpu.user + cpu.system) / 1000 / (wallSec * 1000)) * 100, 0) },
    correctness: { ok: failures.length === 0, lost, unexpected, failures },
    peakRssMb: target.peakRssMb(),
  };
  const file = writeResult("fanout", result);
  const d = result.delivery;
  console.log(`fanout on ${target.profile} (${target.baseUrl}): ${socketCount} sockets, ${rate} sends/s for ${seconds} s`);
  console.log(`  sends      ${acceptedCount}/${sends} accepted ${JSON.stringify(statuses)}`);
  console.log(`  delivered  ${d.delivered}/${d.expected} (${d.msgsPerSec} msgs/s), effect latency p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms, max ${d.maxMs} ms; lost ${lost}, duplicates ${duplicates}`);
  console.log(`  client     ${result.client.cpuPercent}% of one core${result.peakRssMb === undefined ? "" : `; server peak RSS ${result.peakRssMb} MB`}`);
  console.log(`  → ${file}`);
  for (const f of failures) console.error(`FAIL ${f}`);
  return failures.length === 0 ? 0 : 1;
});
