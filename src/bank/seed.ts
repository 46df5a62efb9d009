// Demo recharge catalogue: products 6..10 and the pay topic of
// bizCode 10001. Seeds only what is absent, so it is safe on every start.
import type { Store } from "../store/store.ts";
import { createBankRepo } from "./repo.ts";
import { COIN_PRODUCT_TYPE, COIN_RECHARGE_BIZ_CODE, COIN_RECHARGE_TOPIC, PayProductStatus, PayTopicStatus } from "./types.ts";

export const DEMO_RECHARGE_PRODUCTS = [
  [6, "30元旗鱼币", 3000, 300],
  [7, "35元旗鱼币", 3500, 350],
  [8, "40元旗鱼币", 4000, 400],
  [9, "50元旗鱼币", 5000, 500],
  [10, "100元旗鱼币", 10000, 1000],
] as const;

export async function seedRechargeCatalogue(store: Store): Promise<{ products: number; topics: number }> {
  const repo = createBankRepo(store);
  const now = Date.now();
  let products = 0;
  for (const [id, name, price, coin] of DEMO_RECHARGE_PRODUCTS) {
    const row = { id, name, price, extra: JSON.stringify({ coin }), type: COIN_PRODUCT_TYPE, valid_status: PayProductStatus.VALID, create_time: now, update_time: now };
    if (await repo.insertProductIfAbsent(row)) products++;
  }
  const topic = { topic: COIN_RECHARGE_TOPIC, biz_code: COIN_RECHARGE_BIZ_CODE, status: PayTopicStatus.VALID, remark: "coin recharge", create_time: now, update_time: now };
  const topics = (await repo.insertTopicIfAbsent(topic)) ? 1 : 0;
  return { products, topics };
}
