// A recharge burst: the payment provider reports N paid orders at once. Setup
// (untimed): fresh users create N pay orders (10 per user, under the order
// rate limit; order k is user k mod N/10's, so neighbouring notifications are
// different users') for the cheapest product; every notification is signed with the
// deployment's pay secret just before the burst. The timed part is the notify
// endpoint only: each order's notification is sent 1 + R times back to back
// (R repeats, as a provider retrying would), through wrk at C connections.
// Measures notifications/s, paid orders/s and p50/p99.
//
//   bun run scripts/load/recharge-notify.ts [--url http://127.0.0.1:8080 | --spawn embedded|cluster]
//     [--orders 10000] [--repeats 1] [--connections 64] [--threads 1]
//     [--smoke] [--plant-loss] [--no-invariants] [--label text]
//
// With --url the pay secret is OVATION_PAY_SECRET (and tokens are asked of
// POST /api/dev/token unless OVATION_JWT_SECRET is set).
//
// Then the money, from the server's truth: every notification must answer
// 200 success (repeats too); every order must read PAYED; each user's balance
// (the users are fresh) must be exactly its orders' coins — less is a lost
// credit, more a doubled one; and the invariant checker
// (scripts/check-invariants.ts --quiescent: R1–R5 among the rest) must pass.
//
// Exit 1 on a correctness failure. --plant-loss expects one credit more than
// was paid, as if the server had lost one, to show the check fails loudly.
import { signPayload } from "../../src/bank/signature.ts";
import { mapConcurrent, runInvariantChecker } from "./ovation.ts";
import { intOption, parseCli, round, writeResult } from "./report.ts";
import { runSession } from "./session.ts";
import { runFixedRequests, wrkFigures, wrkRate, type PreparedRequest } from "./wrk.ts";

const SETUP_CONCURRENCY = 16;
/** Orders per user: the order endpoint allows 20 per minute per user. */
const ORDERS_PER_USER = 10;
const USAGE = "bun run scripts/load/recharge-notify.ts [--url URL | --spawn embedded|cluster] [--orders 10000] [--repeats 1] [--connections 64] [--threads 1] [--smoke] [--plant-loss] [--no-invariants] [--label text]";
const opts = parseCli(USAGE, {
  orders: { type: "string" },
  repeats: { type: "string" },
  connections: { type: "string" },
  "plant-loss": { type: "boolean", default: false },
  "no-invariants": { type: "boolean", default: false },
});
const orderCount = intOption("orders", opts.orders ?? (opts.smoke ? 200 : 10_000), 1);
const repeats = intOption("repeats", opts.repeats ?? 1, 0);
const connections = intOption("connections", opts.connections ?? (opts.smoke ? 16 : 64), 1);
const threads = intOption("threads", opts.threads, 1);

interface Product {
  id: number;
  price: number;
  coinNum: number;
}

await runSession(opts, "r", async ({ target, api, line, freshUsers }) => {
  const secret = target.env.OVATION_PAY_SECRET;
  if (!secret) throw new Error("the pay secret is unknown: set OVATION_PAY_SECRET (or use --spawn)");

  // --- setup: users, orders ---
  const userIds = freshUsers(Math.ceil(orderCount / ORDERS_PER_USER));
  const tokens = await mapConcurrent(userIds, SETUP_CONCURRENCY, (id) => api.token(id, "viewer"));
  const { products } = await api.must<{ products: Product[] }>("GET", "/api/bank/products?type=0", tokens[0]);
  const product = products.at(-1);
  if (!product) throw new Error("the deployment has no recharge product of type 0");
  const orders = await mapConcurrent(Array.from({ length: orderCount }, (_, k) => k), SETUP_CONCURRENCY, async (k) => {
    const user = k % userIds.length;
    const o = await api.must<{ orderId: string; amount: number }>("POST", "/api/bank/orders", tokens[user], { productId: product.id, paySource: 2, payChannel: "alipay" });
    if (k % 200 === 0) line.update(`setup: ${k}/${orderCount} orders`);
    return { ...o, user };
  });

  // Signed now: the signature's timestamp must be within 300 s of the server's clock.
  const ts = String(Math.floor(Date.now() / 1000));
  const requests: PreparedRequest[] = orders.flatMap((o) => {
    const body = JSON.stringify({ orderId: o.orderId, amount: o.amount, tradeNo: `T-${o.orderId}`, bizCode: 10001, paidAt: Date.now() });
    const r = { path: "/api/bank/notify/alipay", timestamp: ts, signature: signPayload(secret, Number(ts), body), body };
    return Array.from({ length: 1 + repeats }, () => r);
  });

  // --- the burst ---
  const burstStart = performance.now();
  const wrk = await runFixedRequests({
    url: target.baseUrl,
    threads,
    connections,
    requests,
    acceptedStatus: 200,
    onProgress(answered, accepted) {
      const s = (performance.now() - burstStart) / 1000;
      line.update(`burst: ${answered}/${requests.length} answered, ${accepted} success, ${Math.round(answered / s)} req/s`);
    },
  });
  const burstSec = (performance.now() - burstStart) / 1000;
  const refused = wrk.answered - wrk.accepted;
  const unknown = requests.length - wrk.answered;

  // --- the money ---
  line.update(`check: ${orderCount} orders …`);
  const statuses = await mapConcurrent(orders, SETUP_CONCURRENCY, async (o) => (await api.must<{ status: string }>("GET", `/api/bank/orders/${o.orderId}`, tokens[o.user])).status);
  const unpaid = statuses.filter((s) => s !== "PAYED").length;
  line.update(`check: ${userIds.length} balances …`);
  const balances = await mapConcurrent(tokens, SETUP_CONCURRENCY, (t) => api.balance(t));
  const expected = userIds.map((_, u) => orders.filter((o) => o.user === u).length * product.coinNum + (opts["plant-loss"] && u === 0 ? product.coinNum : 0));
  const lost = balances.reduce((a, b, u) => a + Math.max(0, expected[u]! - b), 0) / product.coinNum;
  const doubled = balances.reduce((a, b, u) => a + Math.max(0, b - expected[u]!), 0) / product.coinNum;

  let invariants: { ok: boolean; output: string } | { ok: null; output: string } = { ok: null, output: "skipped (--no-invariants)" };
  if (!opts["no-invariants"]) {
    line.update("check: invariant checker …");
    invariants = await runInvariantChecker(target);
  }
  line.end();

  const failures: string[] = [];
  if (lost > 0) failures.push(`lost: ${lost} paid order(s) without their coins`);
  if (doubled > 0) failures.push(`doubled: ${doubled} order(s) credited more than once`);
  if (unpaid > 0) failures.push(`unpaid: ${unpaid} notified order(s) not PAYED`);
  if (refused > 0 || unknown > 0) failures.push(`refused: ${refused} notification(s) answered other than 200, ${unknown} unanswered (${JSON.stringify(wrk.statuses)})`);
  if (invariants.ok === false) failures.push(`invariant checker: ${invariants.output}`);

  const result = {
    label: opts.label,
    profile: target.profile,
    target: target.baseUrl,
    params: { orders: orderCount, repeats, connections, threads, productId: product.id, coins: product.coinNum, plantLoss: opts["plant-loss"], smoke: opts.smoke },
    notify: {
      rps: Math.round(wrkRate(wrk, wrk.answered)),
      paidPerSec: Math.round(orderCount / burstSec),
      ...wrkFigures(wrk),
      burstSec: round(burstSec, 2),
      answered: wrk.answered,
      statuses: wrk.statuses,
    },
    correctness: { ok: failures.length === 0, lost, doubled, unpaid, refused, unknown, invariants, failures },
    peakRssMb: target.peakRssMb(),
  };
  const file = writeResult("recharge-notify", result);

  console.log(`recharge-notify on ${target.profile} (${target.baseUrl}): ${orderCount} orders × ${1 + repeats} notifications, ${connections} connections`);
  console.log(`  notify  ${result.notify.rps} notifications/s, ${result.notify.paidPerSec} orders paid/s, p50 ${result.notify.p50Ms} ms, p99 ${result.notify.p99Ms} ms; statuses ${JSON.stringify(wrk.statuses)}; wrk used ${wrk.cpuPercent}% of a core`);
  console.log(`  money   unpaid ${unpaid}, lost ${lost}, doubled ${doubled}; invariants ${invariants.ok === null ? "skipped" : invariants.ok ? "hold" : "VIOLATED"}`);
  if (result.peakRssMb !== undefined) console.log(`  server  peak RSS ${result.peakRssMb} MB`);
  console.log(`  → ${file}`);
  for (const f of failures) console.error(`FAIL ${f}`);
  return failures.length === 0 ? 0 : 1;
});
