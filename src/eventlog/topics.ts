// Logical topic names. Adapters prefix them with the configured namespace
// (`${namespace}.${name}`), so these are what business code passes around.
export const TOPICS = {
  /** Admitted gift sends on their way to the ledger (SPEC §5). */
  sendGift: "send_gift",
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
