// Live-commerce vocabulary shared by the catalogue, the orders and their pushes.

export const SkuStatus = { OFF: 0, ON_SALE: 1 } as const;

/** Shop order states; an order line carries a copy of its order's. */
export const ShopOrderStatus = { PREPARE_PAY: 0, HAS_PAY: 1, CANCEL: 2 } as const;
/** The statuses by name, indexed by their number (the API speaks names). */
export const ORDER_STATUS_NAMES = ["PREPARE_PAY", "HAS_PAY", "CANCEL"] as const;
export type OrderStatusName = (typeof ORDER_STATUS_NAMES)[number];

/** The states whose lines hold stock: available = total − their units. */
export const STOCK_HOLDING_STATUSES = [ShopOrderStatus.PREPARE_PAY, ShopOrderStatus.HAS_PAY] as const;

export const MAX_CATEGORY_LEVEL = 3;

export interface Category {
  categoryId: number;
  categoryName: string;
  level: number;
  /** null for level 1. */
  parentId: number | null;
}

export interface CategoryNode extends Category {
  children: CategoryNode[];
}

export interface Sku {
  skuId: number;
  skuCode: string;
  name: string;
  /** Coins. */
  skuPrice: number;
  iconUrl: string;
  originalIconUrl: string;
  remark: string;
  categoryId: number;
  status: number;
  /** 0 = no limit. */
  limitPerUser: number;
}

/** What an admin gives to create a SKU (status starts ON_SALE unless given). */
export interface SkuInput {
  skuCode: string;
  name: string;
  skuPrice: number;
  iconUrl?: string;
  originalIconUrl?: string;
  remark?: string;
  categoryId: number;
  limitPerUser?: number;
  status?: number;
}

export type SkuPatch = Partial<Omit<SkuInput, "skuCode">>;
