// Logical topic names. Adapters prefix them with the configured namespace
// (`${namespace}.${name}`), so these are what business code passes around.
export const TOPICS = {
  /** Admitted gift sends on their way to the ledger. */
  sendGift: "send_gift",
  /** A shop order was paid with coins (through the outbox). */
  shopOrderPaid: "shop_order_paid",
  /** A shop order was cancelled, by its buyer or by the timeout (through the outbox). */
  shopOrderCancelled: "shop_order_cancelled",
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
