// Demo catalogue: the category path 手机 → 小米 → note 系列 and a
// few SKUs with stock, sold by the demo anchor. Seeds only what is absent
// (SKUs are found by skuCode), so it is safe on every start and never undoes
// an admin's later change to a demo SKU.
import type { Shop } from "./index.ts";

export const DEMO_CATEGORY_PATH = ["手机", "小米", "note 系列"] as const;

export const DEMO_SKUS = [
  { skuCode: "redmi-note13-5g-8-256", name: "Redmi Note 13 5G 8GB+256GB", skuPrice: 899, stockNum: 100, limitPerUser: 0 },
  { skuCode: "redmi-note13-pro-12-256", name: "Redmi Note 13 Pro 12GB+256GB", skuPrice: 1299, stockNum: 50, limitPerUser: 0 },
  { skuCode: "redmi-note13-pro-plus-12-512", name: "Redmi Note 13 Pro+ 12GB+512GB", skuPrice: 1699, stockNum: 20, limitPerUser: 1 },
] as const;

export async function seedShopCatalogue(shop: Shop, anchorId: number): Promise<{ created: number[] }> {
  let parentId: number | null = null;
  for (const [i, categoryName] of DEMO_CATEGORY_PATH.entries()) {
    parentId = (await shop.categories.create({ categoryName, level: i + 1, parentId })).categoryId;
  }
  const created: number[] = [];
  for (const s of DEMO_SKUS) {
    if (await shop.skus.getByCode(s.skuCode)) continue;
    const sku = await shop.skus.create({
      skuCode: s.skuCode,
      name: s.name,
      skuPrice: s.skuPrice,
      iconUrl: `/static/skus/${s.skuCode}.png`,
      originalIconUrl: `/static/skus/${s.skuCode}@2x.png`,
      remark: "demo flash-sale phone",
      categoryId: parentId!,
      limitPerUser: s.limitPerUser,
    });
    await shop.skus.setStock(sku.skuId, s.stockNum);
    created.push(sku.skuId);
  }
  if (created.length > 0) await shop.anchorSkus.add(anchorId, created);
  return { created };
}
