// The hot store's coins: the fast, rebuildable admission front of the wallet
// (src/wallet/admissions.ts holds the full money invariant and is this port's
// only caller). The relational store is the truth; everything here can be
// rebuilt from it. Every operation is atomic on its own. Two adapters
// implement this contract — Redis + Lua (redis.ts, scripts/*.lua) and
// in-process maps (local.ts) — and coins.contract.test.ts runs on both and on
// a Redis Cluster.
//
// Per user the hot store keeps `available` = database balance − debits
// admitted but not yet persisted, plus one admission record per admission id:
//   pending  → debited from `available`, waiting for the database
//   settled  → persisted in the database (available unchanged)
//   refunded → could not be persisted; its amount went back to `available`
//              (unless `available` was rebuilt after the debit: the rebuild
//              read a balance that never lost it, so it is already there)
// Admission records are kept `ttlSec` so a retried request finds its first
// outcome; the ledger's unique business id stays the final guard after that.
//
// Rebuilding `available` races with credits committed meanwhile. The database
// account carries a `version` raised by every change; loadAvailable records the
// version it read, creditAvailable applies a credit only when its version is
// newer than that, and a credit that finds no wallet remembers its version so a
// load that read an older row is told `stale` and reads again. A dropped wallet
// remembers the highest version it knew the same way.

/**
 * How long a missing wallet remembers the highest credit version it saw, so a
 * load that read an older row is told `stale`. It only has to outlast one
 * read-then-load of the database (the wallet holds a 1 s lock for it).
 */
export const WALLET_MARKER_TTL_SEC = 600;

export interface AdmitInput {
  userId: number;
  admissionId: string;
  amount: number;
  fingerprint: string;
  ttlSec: number;
}

export type AdmitResult =
  | { kind: "admitted"; available: number }
  /**
   * `knownVersion`: the newest account version this wallet reflects (its load
   * version, or a newer credit's). A database account whose latest credit is
   * newer than that was never applied here (a crash between the credit's
   * commit and creditAvailable): the caller drops and reloads the wallet.
   */
  | { kind: "insufficient"; available: number; knownVersion: number }
  /** The same admission id was seen before with the same fingerprint. */
  | { kind: "duplicate"; state: AdmissionState }
  /** The same admission id was seen before with a different fingerprint. */
  | { kind: "conflict" }
  /** No wallet in the hot store: load it from the database, then retry. */
  | { kind: "unloaded" };

export type AdmissionState = "pending" | "settled" | "refunded";

export interface Admission {
  state: AdmissionState;
  amount: number;
  fingerprint: string;
}

export type LoadResult = "loaded" | "present" | "stale";

export interface HotCoins {
  /** Debit `amount` from `available` if it suffices; idempotent on (userId, admissionId). */
  admitDebit(input: AdmitInput): Promise<AdmitResult>;
  /** pending → settled. Returns false when the admission is not pending (already settled/refunded, or unknown). */
  settleDebit(userId: number, admissionId: string): Promise<boolean>;
  /** pending → refunded and its amount back to `available` (see the header for a rebuilt wallet). False when not pending. */
  refundDebit(userId: number, admissionId: string): Promise<boolean>;
  getAdmission(userId: number, admissionId: string): Promise<Admission | null>;
  /** Set `available` from the database unless a wallet is present; see the header for `stale`. */
  loadAvailable(userId: number, balance: number, version: number): Promise<LoadResult>;
  /** After a committed credit of `amount` that raised the account to `version`. */
  creditAvailable(userId: number, amount: number, version: number): Promise<void>;
  /** null when the wallet is not loaded. */
  getAvailable(userId: number): Promise<number | null>;
  /** Forget a user's wallet (not its admissions); the next admission rebuilds it. */
  dropWallet(userId: number, opts?: DropWalletOptions): Promise<void>;
}

export interface DropWalletOptions {
  /**
   * Drop only while the wallet still reflects exactly this version (the
   * `knownVersion` of an insufficient admission): of several requests that saw
   * the same stale wallet, the first drops it and the others keep the rebuilt
   * one instead of forgetting the debits admitted since the rebuild.
   */
  ifKnownVersion?: number;
}
