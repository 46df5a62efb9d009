// A flash sale: N buyers rush one SKU with S units through wrk at C
// connections. Setup (through the admin API, untimed): a level-3 category, a
// SKU with stock S and a limit of one per buyer, the anchor's permission to
// sell it, its stock warmed up in the living room, one unit in every buyer's
// cart (and, with --pay, coins to pay for it). The timed part is the order
// endpoint only: buyer k places one order with requestId "<runId>-<k>".
// Measures orders/s (every answer, 201 or 409 OUT_OF_STOCK) and p50/p99,
// and for a spawned server its CPU time over the rush per answer.
//
//   bun run scripts/load/flash-sale.ts [--url http://127.0.0.1:8080 | --spawn embedded|cluster]
//     [--buyers 10000] [--stock 1000] [--connections 1000] [--threads 1]
//     [--pay] [--smoke] [--plant-oversell] [--no-invariants] [--label text]
//
// Then the stock, from the server's truth rather than from what wrk saw: every
// buyer's orders in the room (GET /api/shop/orders, the database) give the
// units confirmed (PREPARE_PAY or HAS_PAY). They must not exceed S (oversold),
// must be exactly min(N, S) (a buyer refused while units were left is a unit
// lost to the sale), and must match the 201s wrk counted; every request must
// be answered; the SKU's available stock must read S − confirmed; with --pay
// every order must pay; and the invariant checker
// (scripts/check-invariants.ts --quiescent: S1–S4, coins) must pass.
//
// Exit 1 on a correctness failure. --plant-oversell compares against S − 1
// units, as if the server had sold one more than it had, to show the check
// fails loudly.
import { mapConcurrent, runInvariantChecker } from "./ovation.ts";
import { intOption, parseCli, round, writeResult } from "./report.ts";
import { runSession } from "./session.ts";
import { runFixedSends, wrkFigures, wrkRate } from "./wrk.ts";

const SETUP_CONCURRENCY = 16;
const SKU_PRICE = 1;
const ADDRESS = { name: "load buyer", phone: "13800000000", detail: "load street 1" };
const USAGE = "bun run scripts/load/flash-sale.ts [--url URL | --spawn embedded|cluster] [--buyers 10000] [--stock 1000] [--connections 1000] [--threads 1] [--pay] [--smoke] [--plant-oversell] [--no-invariants] [--label text]";
const opts = parseCli(USAGE, {
  buyers: { type: "string" },
  stock: { type: "string" },
  connections: { type: "string" },
  pay: { type: "boolean", default: false },
  "plant-oversell": { type: "boolean", default: false },
  "no-invariants": { type: "boolean", default: false },
});
const buyers = intOption("buyers", opts.buyers ?? (opts.smoke ? 200 : 10_000), 1);
const stock = intOption("stock", opts.stock ?? (opts.smoke ? 50 : 1_000), 0);
const connections = intOption("connections", opts.connections ?? (opts.smoke ? 32 : 1_000), 1);
const threads = intOption("threads", opts.threads, 1);
/** What the checks hold the sale to; one short of the truth when planting an oversell. */
const checkedStock = opts["plant-oversell"] ? stock - 1 : stock;

interface OrderView {
  orderId: string;
  status: string;
  items: { skuId: number; count: number }[];
}

await runSession(opts, "s", async ({ target, api, line, runId, anchorId, anchorToken, adminToken, roomId, freshUsers }) => {
  // --- setup: a SKU with S units sold by the anchor, warmed up in the room ---
  line.update("setup: category, SKU, stock …");
  let parentId: number | null = null;
  for (const level of [1, 2, 3]) {
    const c: { categoryId: number } = await api.must("POST", "/api/admin/categories", adminToken, { categoryName: `load flash ${level}`, level, parentId });
    parentId = c.categoryId;
  }
  const { skuId } = await api.must<{ skuId: number }>("POST", "/api/admin/skus", adminToken, {
    skuCode: `flash-${runId}`, name: `flash sale ${runId}`, skuPrice: SKU_PRICE, categoryId: parentId, limitPerUser: 1,
  });
  await api.must("PUT", `/api/admin/skus/${skuId}/stock`, adminToken, { stockNum: stock });
  await api.must("PUT", `/api/admin/anchors/${anchorId}/skus`, adminToken, { skuIds: [skuId] });
  await api.must("POST", `/api/shop/anchors/${anchorId}/stock/preheat`, anchorToken);
  const stockNow = async () => (await api.must<{ stockNum: number }>("GET", `/api/shop/skus/${skuId}/stock`)).stockNum;
  const before = await stockNow();
  if (before !== stock) throw new Error(`setup: SKU ${skuId} shows ${before} units after the warm-up, not ${stock}`);

  // --- setup: buyers, one unit in each cart, coins when paying ---
  const buyerIds = freshUsers(buyers);
  line.update(`setup: ${buyers} tokens …`);
  const tokens = await mapConcurrent(buyerIds, SETUP_CONCURRENCY, (id) => api.token(id, "viewer"));
  await mapConcurrent(tokens, SETUP_CONCURRENCY, async (token, i) => {
    await api.must("POST", `/api/shop/rooms/${roomId}/cart/items`, token, { skuId, count: 1 });
    if (opts.pay) await api.grant(adminToken, buyerIds[i]!, SKU_PRICE, `${runId}-grant-${i}`);
    if (i % 200 === 0) line.update(`setup: ${i}/${buyers} carts filled${opts.pay ? " and coins granted" : ""}`);
  });

  // --- the rush: every buyer orders at once ---
  const cpuBefore = target.cpuMs();
  const rushStart = performance.now();
  const wrk = await runFixedSends({
    url: target.baseUrl,
    threads,
    connections,
    tokens,
    path: `/api/shop/rooms/${roomId}/orders`,
    acceptedStatus: 201,
    bodyPrefix: `{"address":${JSON.stringify(ADDRESS)},"requestId":"${runId}-`,
    bodySuffix: '"}',
    total: buyers,
    onProgress(answered, created) {
      const s = (performance.now() - rushStart) / 1000;
      line.update(`rush: ${answered}/${buyers} answered, ${created} orders, ${Math.round(answered / s)} orders/s`);
    },
  });
  const rushSec = (performance.now() - rushStart) / 1000;
  const cpuAfter = target.cpuMs();
  const { answered: answeredTotal, accepted: created, statuses } = wrk;
  const unanswered = buyers - answeredTotal;

  // --- the truth: every buyer's orders in the room ---
  line.update(`check: reading ${buyers} buyers' orders …`);
  const orders = (
    await mapConcurrent(tokens, SETUP_CONCURRENCY, async (token, i) => {
      if (i % 500 === 0) line.update(`check: ${i}/${buyers} buyers' orders read`);
      return (await api.must<OrderView[]>("GET", `/api/shop/orders?roomId=${roomId}`, token)).map((o) => ({ ...o, token }));
    })
  ).flat();
  const live = orders.filter((o) => o.status === "PREPARE_PAY" || o.status === "HAS_PAY");
  const confirmed = live.reduce((a, o) => a + o.items.filter((i) => i.skuId === skuId).reduce((b, i) => b + i.count, 0), 0);
  const available = await stockNow();

  let paid = 0;
  const payFailures: string[] = [];
  let paySec = 0;
  if (opts.pay) {
    const payStart = performance.now();
    await mapConcurrent(live, SETUP_CONCURRENCY, async (o, i) => {
      const r = await api.call<{ status: string }>("POST", `/api/shop/orders/${o.orderId}/pay`, o.token);
      if (r.status === 200 && r.data.status === "HAS_PAY") paid += 1;
      else payFailures.push(`${o.orderId}: ${r.status} ${r.msg}`);
      if (i % 100 === 0) line.update(`pay: ${i}/${live.length} orders paid`);
    });
    paySec = (performance.now() - payStart) / 1000;
  }

  let invariants: { ok: boolean; output: string } | { ok: null; output: string } = { ok: null, output: "skipped (--no-invariants)" };
  if (!opts["no-invariants"]) {
    line.update("check: invariant checker …");
    invariants = await runInvariantChecker(target);
  }
  line.end();

  const expectedSold = Math.min(buyers, checkedStock);
  const oversold = Math.max(0, confirmed - checkedStock);
  const failures: string[] = [];
  if (oversold > 0) failures.push(`oversold: ${confirmed} units confirmed of ${checkedStock} in stock (${oversold} beyond it)`);
  if (unanswered > 0) failures.push(`unanswered: ${unanswered} order request(s) got no answer`);
  if (oversold === 0 && confirmed !== expectedSold) failures.push(`undersold: ${confirmed} units confirmed, ${expectedSold} expected (min of buyers and stock)`);
  if (confirmed !== created) failures.push(`answers disagree with the database: ${created} orders answered 201, ${confirmed} units confirmed`);
  if (available !== stock - confirmed) failures.push(`available stock reads ${available}, ${stock - confirmed} expected (stock − confirmed)`);
  if (payFailures.length > 0) failures.push(`${payFailures.length} order(s) did not pay: ${payFailures.slice(0, 3).join("; ")}`);
  if (invariants.ok === false) failures.push(`invariant checker: ${invariants.output}`);

  const result = {
    label: opts.label,
    profile: target.profile,
    target: target.baseUrl,
    params: { buyers, stock, connections, threads, skuId, pay: opts.pay, plantOversell: opts["plant-oversell"], smoke: opts.smoke },
    orders: {
      rps: Math.round(wrkRate(wrk, answeredTotal)),
      createdRps: Math.round(created / rushSec),
      ...wrkFigures(wrk),
      rushSec: round(rushSec, 2),
      serverCpuUsPerOrder: cpuBefore === undefined || cpuAfter === undefined || answeredTotal === 0 ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / answeredTotal),
      answered: answeredTotal,
      created,
      unanswered,
      statuses,
    },
    pay: opts.pay ? { paid, failed: payFailures.length, sec: round(paySec, 2), perSec: paySec > 0 ? Math.round(paid / paySec) : null } : null,
    correctness: { ok: failures.length === 0, confirmed, oversold, expectedSold, available, invariants, failures },
    peakRssMb: target.peakRssMb(),
  };
  const file = writeResult("flash-sale", result);

  console.log(`flash-sale on ${target.profile} (${target.baseUrl}): ${buyers} buyers rush ${stock} units of SKU ${skuId}, ${connections} connections`);
  console.log(`  orders     ${result.orders.rps} orders/s answered (${result.orders.createdRps} created/s), p50 ${result.orders.p50Ms} ms, p99 ${result.orders.p99Ms} ms; ${created} created, statuses ${JSON.stringify(statuses)}, ${unanswered} unanswered; wrk used ${wrk.cpuPercent}% of a core${result.orders.serverCpuUsPerOrder === null ? "" : `; server CPU ${result.orders.serverCpuUsPerOrder} µs per answer`}`);
  if (result.pay) console.log(`  pay        ${paid} paid, ${payFailures.length} failed in ${result.pay.sec} s (${result.pay.perSec} pays/s, ${SETUP_CONCURRENCY} at a time, untimed by wrk)`);
  console.log(`  stock      ${confirmed} confirmed of ${checkedStock}${opts["plant-oversell"] ? " (planted: one fewer than the real stock)" : ""}, oversold ${oversold}, available ${available}; invariants ${invariants.ok === null ? "skipped" : invariants.ok ? "hold" : "VIOLATED"}`);
  if (result.peakRssMb !== undefined) console.log(`  server     peak RSS ${result.peakRssMb} MB`);
  console.log(`  → ${file}`);
  for (const f of failures) console.error(`FAIL ${f}`);
  return failures.length === 0 ? 0 : 1;
});
