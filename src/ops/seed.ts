// Demo data, loaded by OVATION_DEMO_SEED=1 on an empty store only:
// "empty" means no gift exists yet, so a restart never seeds twice.
import type { Deps } from "../deps.ts";
import { seedRechargeCatalogue } from "../bank/seed.ts";
import { seedShopCatalogue } from "../shop/seed.ts";

export const DEMO = {
  anchorId: 1001,
  viewerId: 2001,
  viewerCoins: 1000,
  gifts: [
    [22, "天使少女", 90],
    [23, "皇冠", 20],
    [24, "爱心气泡", 1],
    [25, "保时捷", 500],
    [27, "飞天火箭", 45],
    [28, "万圣节", 45],
    [29, "神灯仙女", 20],
  ] as const,
};

export async function seedDemo(deps: Deps): Promise<boolean> {
  // The recharge catalogue checks each row itself, so a demo store seeded
  // before recharge existed gains its products too.
  await seedRechargeCatalogue(deps.store);
  // So does the shop catalogue (found by category path and skuCode).
  await seedShopCatalogue(deps.shop, DEMO.anchorId);
  const any = await deps.store.db.selectFrom("gift_config").select("gift_id").limit(1).executeTakeFirst();
  if (any) return false;
  for (const [giftId, giftName, price] of DEMO.gifts) {
    await deps.gifts.catalogue.create({
      giftId,
      giftName,
      price,
      coverImgUrl: `/static/gifts/${giftId}.png`,
      svgaUrl: `/static/gifts/${giftId}.svga`,
    });
  }
  await deps.rooms.start(DEMO.anchorId, { title: "Ovation demo room", type: 0 });
  await deps.wallet.grant({ userId: DEMO.viewerId, amount: DEMO.viewerCoins, requestId: "demo-seed-viewer" });
  deps.log.info("demo data seeded", { anchorId: DEMO.anchorId, viewerId: DEMO.viewerId });
  return true;
}
