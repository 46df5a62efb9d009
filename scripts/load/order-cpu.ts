// In-process CPU per order of a flash-sale rush, the request plumbing left
// out: a deployment of the chosen profile is built here (test harness), N
// buyers with one unit in their carts call orders.prepare with C in flight on
// one SKU of S units, and process.cpuUsage() over the rush ÷ N is printed
// (the embedded profile's SQLite and hot store run in this process; on the
// cluster profile Redis and MariaDB work is outside it). Checks 0 oversold.
//
//   bun run scripts/load/order-cpu.ts [--profile embedded|cluster] [--buyers 10000] [--stock 1000] [--concurrency 1000] [--rounds 3]
import "../../test/setup.ts";
import { createDeployment } from "../../test/harness.ts";
import { isAppError } from "../../src/lib/errors.ts";
import { intOption, parseCli, profileOption } from "./report.ts";

const USAGE = "bun run scripts/load/order-cpu.ts [--profile embedded|cluster] [--buyers 10000] [--stock 1000] [--concurrency 1000] [--rounds 3]";
const opts = parseCli(USAGE, {
  profile: { type: "string", default: "embedded" },
  buyers: { type: "string" },
  stock: { type: "string" },
  concurrency: { type: "string" },
  rounds: { type: "string" },
});
const profile = profileOption("profile", opts.profile, USAGE);
const buyers = intOption("buyers", opts.buyers ?? 10_000, 1);
const stock = intOption("stock", opts.stock ?? 1000, 0);
const concurrency = intOption("concurrency", opts.concurrency ?? 1000, 1);
const rounds = intOption("rounds", opts.rounds ?? 3, 1);
const ADDRESS = { name: "load buyer", phone: "13800000000", detail: "load street 1" };

const deployment = await createDeployment(profile);
const deps = await deployment.spawn({ consumers: false, shopWorkers: false });
let exit = 0;
try {
  const shop = deps.shop;
  const l1 = await shop.categories.create({ categoryName: "l1", level: 1, parentId: null });
  const l2 = await shop.categories.create({ categoryName: "l2", level: 2, parentId: l1.categoryId });
  const l3 = await shop.categories.create({ categoryName: "l3", level: 3, parentId: l2.categoryId });
  let nextUser = 1_000_000;
  for (let round = 1; round <= rounds; round++) {
    const anchorId = 900_000 + round;
    const sku = await shop.skus.create({ skuCode: `cpu-${round}-${Date.now()}`, name: "flash", skuPrice: 1, categoryId: l3.categoryId, limitPerUser: 1 });
    await shop.stock.setTotal(sku.skuId, stock);
    await shop.anchorSkus.set(anchorId, [sku.skuId]);
    const room = await deps.rooms.start(anchorId, { title: "cpu", type: 0 });
    await shop.warmAnchor(anchorId, room.roomId);
    const users = Array.from({ length: buyers }, () => nextUser++);
    for (let i = 0; i < users.length; i += 500) await Promise.all(users.slice(i, i + 500).map((u) => shop.carts.add(u, room.roomId, sku.skuId, 1)));

    const statuses = new Map<string, number>();
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < users.length) {
          const u = users[next]!;
          const k = next++;
          const name = await shop.orders.prepare(u, room.roomId, { address: ADDRESS, requestId: `r${round}-${k}` }).then(
            () => "201",
            (e) => (isAppError(e) ? e.name : String(e)),
          );
          statuses.set(name, (statuses.get(name) ?? 0) + 1);
        }
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const ms = performance.now() - t0;
    const created = statuses.get("201") ?? 0;
    const available = await shop.stock.available(sku.skuId);
    const ok = created === Math.min(stock, buyers) && available === stock - created;
    if (!ok) exit = 1;
    console.log(
      `${profile} round ${round}: ${Math.round(((cpu.user + cpu.system) / buyers) * 10) / 10} µs CPU per order, ${Math.round(buyers / (ms / 1000))} orders/s in-process; ${JSON.stringify(Object.fromEntries(statuses))}; available ${available}${ok ? "" : " — WRONG (oversold or lost)"}`,
    );
  }
} finally {
  await deployment.destroy();
}
process.exit(exit);
