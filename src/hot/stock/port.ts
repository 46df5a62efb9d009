// The hot store's stock: the flash sale's admission front (src/shop/stock.ts
// is this port's only caller). The database is the truth: a SKU's total in
// sku_stock, and units held by the lines of PREPARE_PAY/HAS_PAY orders.
// Everything here can be rebuilt from it. Every operation is atomic on its
// own. Two adapters — Redis + Lua (redis.ts, scripts/*.lua) and in-process
// maps (local.ts) — and stock.contract.test.ts runs on both and on a Redis
// Cluster.
//
// Per SKU (every key under the SKU's hash tag {sku:<id>}, so each script
// touches one cluster slot):
//   stock      available units and the generation of the load that set them
//   reservation one per order: held → released | paid; a released or paid
//              one stays as a tombstone for TOMBSTONE_TTL_SEC, so a repeated
//              reserve or release of that order changes nothing
//   user held  units a user holds in live reservations (per-user limits)
//   unlanded   reservations whose order row is not known to exist yet, by
//              reserve time (the reconciler's work list)
//
// A multi-SKU order spans SKUs (and cluster shards): the caller reserves SKU
// by SKU and releases what it took when one line is refused.
//
// Generations. `load` sets available = total − held units read from the
// database, with a new generation, and re-stamps the reservations of the
// PREPARE_PAY orders it read with it. A release gives units back only when
// its reservation carries the current generation: one the load did not list
// (its order had not landed) was never subtracted from the loaded value. A
// reservation already released when the load lands (its order was cancelled
// after the database read) hands its units back in the load itself.

/** How long a released or paid reservation is remembered. */
export const TOMBSTONE_TTL_SEC = 86400;

export interface ReserveInput {
  skuId: number;
  orderId: string;
  userId: number;
  count: number;
  /** 0 = no limit; otherwise the most units the user may hold in live reservations. */
  limitPerUser: number;
  /** When the reservation is taken (epoch ms): the reconciler's clock. */
  nowMs: number;
}

export type ReserveResult =
  | { kind: "reserved"; available: number }
  /** This order already reserved (or released) this SKU: nothing changed. */
  | { kind: "duplicate" }
  /** Fewer than `count` units available; nothing changed. */
  | { kind: "short"; available: number }
  /** The user would hold more than the limit; `held` = units held now. Nothing changed. */
  | { kind: "limit"; held: number }
  /** No stock loaded for this SKU: load it from the database, then retry. */
  | { kind: "unloaded" };

export type ReleaseResult =
  /** Units back in `available`. */
  | { kind: "released"; available: number }
  /** Released, but `available` was rebuilt since (or is not loaded) and already counts them. */
  | { kind: "absorbed" }
  /** Already released or paid, or released before (tombstone): nothing changed. */
  | { kind: "not_held" };

export interface StockLoad {
  skuId: number;
  /** total − units held by PREPARE_PAY/HAS_PAY lines, read from the database. */
  available: number;
  /** The PREPARE_PAY lines of this SKU read with it. */
  pending: { orderId: string; userId: number; count: number }[];
  /** Units each user holds in PREPARE_PAY/HAS_PAY lines of this SKU (users with none left out). */
  userHeld: { userId: number; units: number }[];
}

export type StockLoadResult = "loaded" | "present";

export interface HotStock {
  /** Takes `count` units for the order, checking the per-user limit; idempotent on (skuId, orderId). */
  reserve(input: ReserveInput): Promise<ReserveResult>;
  /** Gives the order's units back exactly once (see the header for generations). */
  release(skuId: number, orderId: string): Promise<ReleaseResult>;
  /** The order is paid: its units stay sold; the reservation can no longer be released. */
  settle(skuId: number, orderId: string): Promise<boolean>;
  /** The orders' rows exist: drop them from the unlanded list. */
  landed(skuId: number, orderIds: string[]): Promise<void>;
  /** Order ids reserved before `beforeMs` whose order is not known to have landed. */
  unlanded(skuId: number, beforeMs: number, limit: number): Promise<string[]>;
  /** Sets the SKU's stock from the database unless it is loaded. */
  load(input: StockLoad): Promise<StockLoadResult>;
  /**
   * Moves a loaded `available` by `delta` (an admin changed the total).
   * Returns the new value; null when not loaded, or when the delta would take
   * it below zero (then the stock is dropped and the next use rebuilds it).
   */
  adjust(skuId: number, delta: number): Promise<number | null>;
  /** null when not loaded. */
  available(skuId: number): Promise<number | null>;
  /** Units the user holds in live reservations of this generation (0 when none). */
  userHeld(skuId: number, userId: number): Promise<number>;
  /** Forgets the SKU's available (reservations stay); the next reserve rebuilds it. */
  drop(skuId: number): Promise<void>;
}
