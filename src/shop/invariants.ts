// The flash sale's invariants, read from the database and the hot
// store; scripts/check-invariants.ts runs them with the other domains'.
//
//   S1 hot available ≤ total − units held by PREPARE_PAY/HAS_PAY lines (a
//      reservation in flight is in neither yet); = when quiescent
//   S2 hot available never below zero
//   S3 no SKU confirmed beyond stock: held units ≤ total
//   S4 per-user limits held: a user's held units of a SKU ≤ its limitPerUser
//
// The hot store is read first: a reservation takes from it before its order
// row lands, so in this order S1's ≤ holds at every instant (a cancel between
// the reads can only make the database side smaller).
import type { Hot } from "../hot/index.ts";
import type { Store } from "../store/store.ts";
import { createOrdersRepo } from "./orders-repo.ts";

export async function checkShopInvariants(store: Store, hot: Hot, opts: { quiescent?: boolean } = {}): Promise<string[]> {
  const repo = createOrdersRepo(store);
  const violations: string[] = [];
  const skuIds = await repo.stockedSkuIds();
  const hotAvailable = new Map<number, number | null>();
  for (const skuId of skuIds) hotAvailable.set(skuId, await hot.stock.available(skuId));
  const { totals, held } = await repo.stockLedger();
  const limits = new Map(
    (await store.db.selectFrom("sku_info").select(["sku_id", "limit_per_user"]).execute()).map((r) => [Number(r.sku_id), Number(r.limit_per_user)]),
  );
  const heldBySku = new Map<number, number>();
  for (const h of held) {
    heldBySku.set(h.skuId, (heldBySku.get(h.skuId) ?? 0) + h.units);
    const limit = limits.get(h.skuId) ?? 0;
    if (limit > 0 && h.units > limit) violations.push(`S4 sku ${h.skuId}: user ${h.userId} holds ${h.units} units, over the limit ${limit}`);
  }
  for (const { skuId, total } of totals) {
    const h = heldBySku.get(skuId) ?? 0;
    if (h > total) violations.push(`S3 sku ${skuId}: orders hold ${h} units of a total of ${total}`);
    const available = hotAvailable.get(skuId);
    if (available === null || available === undefined) continue;
    if (available < 0) violations.push(`S2 sku ${skuId}: hot available ${available} is negative`);
    if (available > total - h) violations.push(`S1 sku ${skuId}: hot available ${available} exceeds total ${total} − held ${h}`);
    if (opts.quiescent && available !== total - h) violations.push(`S1 sku ${skuId}: hot available ${available} ≠ total ${total} − held ${h} with nothing in flight`);
  }
  return violations;
}
