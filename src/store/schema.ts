// Table types for Kysely, one interface per table in sql/<dialect>/.
// Times are epoch milliseconds; money is integer coins or integer cents.
import type { Generated } from "kysely";

export interface LivingRoomTable {
  room_id: Generated<number>;
  anchor_id: number;
  title: string;
  type: number;
  status: number;
  start_time: number;
  end_time: number | null;
}

export interface GiftConfigTable {
  gift_id: Generated<number>;
  price: number;
  gift_name: string;
  status: number;
  cover_img_url: string;
  svga_url: string;
  create_time: number;
  update_time: number;
}

export interface GiftRecordTable {
  id: Generated<number>;
  biz_id: string;
  request_id: string;
  sender_id: number;
  receiver_id: number;
  room_id: number;
  gift_id: number;
  price: number;
  send_time: number;
}

export interface GiftSendFailureTable {
  biz_id: string;
  request_id: string;
  sender_id: number;
  room_id: number;
  gift_id: number;
  price: number;
  reason: string;
  create_time: number;
}

export interface CurrencyAccountTable {
  user_id: number;
  current_balance: number;
  total_charged: number;
  status: number;
  version: number;
  /** The account version right after its latest credit (the hot store must have seen it). */
  credit_version: number;
  create_time: number;
  update_time: number;
}

export interface CurrencyTradeTable {
  id: Generated<number>;
  user_id: number;
  num: number;
  type: number;
  status: number;
  biz_id: string;
  create_time: number;
}

export interface EventLogTable {
  id: Generated<number>;
  topic: string;
  msg_key: string;
  payload: string;
  create_time: number;
}

export interface EventOffsetTable {
  group_id: string;
  topic: string;
  last_id: number;
}

export interface PayProductTable {
  id: Generated<number>;
  name: string;
  /** Price in cents. */
  price: number;
  /** JSON text, e.g. {"coin": 300}. */
  extra: string;
  type: number;
  valid_status: number;
  create_time: number;
  update_time: number;
}

export interface PayOrderTable {
  id: Generated<number>;
  order_id: string;
  product_id: number;
  user_id: number;
  /** Cents, the product's price when the order was created. */
  amount: number;
  /** Coins credited when paid, the product's coin count when the order was created. */
  coin_num: number;
  source: number;
  channel: number;
  status: number;
  pay_time: number | null;
  trade_no: string | null;
  biz_code: number;
  create_time: number;
  update_time: number;
}

export interface PayTopicTable {
  id: Generated<number>;
  topic: string;
  biz_code: number;
  status: number;
  remark: string;
  create_time: number;
  update_time: number;
}

export interface OutboxTable {
  id: Generated<number>;
  event_id: string;
  topic: string;
  msg_key: string;
  payload: string;
  create_time: number;
  published_time: number | null;
}

export interface SandboxDeliveryTable {
  id: Generated<number>;
  order_id: string;
  channel: number;
  body: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  delivered_time: number | null;
  create_time: number;
}

export interface CategoryTable {
  id: Generated<number>;
  category_name: string;
  /** 1..3. */
  level: number;
  /** 0 for level 1. */
  parent_id: number;
  create_time: number;
  update_time: number;
}

export interface SkuInfoTable {
  sku_id: Generated<number>;
  sku_code: string;
  name: string;
  /** Coins. */
  sku_price: number;
  icon_url: string;
  original_icon_url: string;
  remark: string;
  category_id: number;
  status: number;
  /** Units one user may hold in PREPARE_PAY/HAS_PAY orders; 0 = no limit. */
  limit_per_user: number;
  create_time: number;
  update_time: number;
}

export interface SkuStockTable {
  sku_id: number;
  /** The total; available = total − units held by PREPARE_PAY/HAS_PAY order lines. */
  stock_num: number;
  update_time: number;
  /** The hot store's available at the last stock sync (a report, not the truth); null before the first. */
  synced_available: number | null;
  synced_time: number | null;
}

export interface AnchorShopTable {
  anchor_id: number;
  sku_id: number;
  create_time: number;
}

export interface ShopOrderTable {
  id: Generated<number>;
  order_id: string;
  user_id: number;
  room_id: number;
  anchor_id: number;
  request_id: string | null;
  status: number;
  cancel_reason: string | null;
  /** Coins. */
  total_price: number;
  address_name: string;
  address_phone: string;
  address_detail: string;
  expire_at: number;
  pay_time: number | null;
  create_time: number;
  update_time: number;
}

export interface ShopOrderItemTable {
  id: Generated<number>;
  order_id: string;
  user_id: number;
  sku_id: number;
  count: number;
  /** Unit price in coins, captured when the order was prepared. */
  price: number;
  /** A copy of the order's status, changed in the same transaction. */
  status: number;
  create_time: number;
}

export interface DB {
  living_room: LivingRoomTable;
  gift_config: GiftConfigTable;
  gift_record: GiftRecordTable;
  gift_send_failure: GiftSendFailureTable;
  currency_account: CurrencyAccountTable;
  currency_trade: CurrencyTradeTable;
  event_log: EventLogTable;
  event_offset: EventOffsetTable;
  pay_product: PayProductTable;
  pay_order: PayOrderTable;
  pay_topic: PayTopicTable;
  outbox: OutboxTable;
  sandbox_delivery: SandboxDeliveryTable;
  category: CategoryTable;
  sku_info: SkuInfoTable;
  sku_stock: SkuStockTable;
  anchor_shop: AnchorShopTable;
  shop_order: ShopOrderTable;
  shop_order_item: ShopOrderItemTable;
}

/** Tables only the embedded profile has (the cluster profile uses Kafka for the log). */
export const EMBEDDED_ONLY_TABLES = ["event_log", "event_offset"] as const;
