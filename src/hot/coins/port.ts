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
//   pending  → debited from `available`, waiting for the database; holds the
//              event to re-publish (payload) and has an entry in the PENDING
//              INDEX of its bucket, which the re-drive sweeper walks
//   claimed  → a pending admission its consumer took before its database
//              transaction (claimAdmissions). Everything else as pending (the
//              index entry stays, the sweeper re-drives it, settle and refund
//              finish it), except that the sender's cancel — a refund with
//              onlyPending — is refused: the send will be persisted, so its
//              sender answers 202, never 503 for a send that is executed
//   settled  → persisted in the database (available unchanged)
//   refunded → could not be persisted; its amount went back to `available`
//              (unless `available` was rebuilt after the debit: the rebuild
//              read a balance that never lost it, so it is already there)
// Settle and refund remove the index entry and shrink the record to {state,
// fingerprint}, kept for the adapter's retry window (OVATION_SEND_RETRY_WINDOW_SEC)
// so a retried request finds its first outcome; the ledger's unique business
// id stays the final guard after that. A pending record expires only after
// PENDING_ADMISSION_TTL_SEC, a safety net far beyond the sweeper's bound.
//
// Users are spread over PENDING_BUCKETS buckets (userId mod 256). On Redis a
// bucket is a hash tag, so a user's wallet, admissions and rate-limit counters
// and the bucket's pending index are in one cluster slot: admitDebit is one
// script, one round trip.
//
// Rebuilding `available` races with credits committed meanwhile. The database
// account carries a `version` raised by every change; a load (loadAvailable, or
// admitDebit given the row its caller read) records the version it read,
// creditAvailable applies a credit only when its version is newer than that,
// and a credit that finds no wallet loads it from the credit's own row (balance
// and version after the credit, expiring unless debited) and remembers its
// version, so a load that read an older row is told `stale` and reads again. A
// dropped wallet remembers the highest version it knew the same way.

/**
 * How long a missing wallet remembers the highest credit version it saw, so a
 * load that read an older row is told `stale`, and how long a wallet a credit
 * loaded lives unless debited. It only has to outlast one read-then-load of the
 * database, which the wallet admission bounds far below it (MAX_LOAD_READ_AGE_MS).
 */
export const WALLET_MARKER_TTL_SEC = 600;

/** How many pending-index buckets users are spread over (userId mod this). */
export const PENDING_BUCKETS = 256;

export function pendingBucket(userId: number): number {
  return userId % PENDING_BUCKETS;
}

/** Safety expiry of a pending admission: the re-drive sweeper finishes it long before. */
export const PENDING_ADMISSION_TTL_SEC = 7 * 86400;

/** The retry window when the adapter is not told one (OVATION_SEND_RETRY_WINDOW_SEC's default). */
export const DEFAULT_RETRY_WINDOW_SEC = 600;

export interface AdmitInput {
  userId: number;
  admissionId: string;
  amount: number;
  fingerprint: string;
  /**
   * The event to re-publish while the admission is pending (re-drive). Only an
   * admission with a payload enters the pending index; a caller that settles
   * or refunds within its own request (a shop payment) gives none.
   */
  payload?: string;
  /** Counted first, per user and name, on every call (duplicates too). */
  rateLimit?: { name: string; limit: number; windowSec: number };
  /**
   * The account as the caller just read it from the database: when no wallet
   * is loaded it is loaded from this in the same call (loadAvailable's rules,
   * `stale` included), so a cold admission is one call. Ignored when a wallet
   * is loaded.
   */
  load?: AccountSnapshot;
}

/** A pending (or claimed) admission handed to the re-drive sweeper. */
export interface PendingAdmission {
  userId: number;
  admissionId: string;
  payload: string;
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
  /** The same admission id was seen before with the same fingerprint; `payload` while pending or claimed. */
  | { kind: "duplicate"; state: AdmissionState; payload?: string }
  /** Over the rate limit; nothing else was looked at or changed. */
  | { kind: "rate_limited"; retryAfterSec: number }
  /** The same admission id was seen before with a different fingerprint. */
  | { kind: "conflict" }
  /** No wallet in the hot store and no `load` given: read the account, retry with it. */
  | { kind: "unloaded" }
  /** No wallet, and the `load` given is older than a credit seen meanwhile: read again. */
  | { kind: "stale" };

export type AdmissionState = "pending" | "claimed" | "settled" | "refunded";

/** Pending or claimed: debited from `available`, not yet settled or refunded, in the pending index. */
export function isUnfinished(state: unknown): state is "pending" | "claimed" {
  return state === "pending" || state === "claimed";
}

export interface RefundOptions {
  /** Refund only a pending admission, not a claimed one (the sender's cancel). */
  onlyPending?: boolean;
}

export interface Admission {
  state: AdmissionState;
  /** Only while pending or claimed (a settled or refunded record keeps state and fingerprint). */
  amount?: number;
  fingerprint: string;
}

export type LoadResult = "loaded" | "present" | "stale";

/** An account row as read from the database: its balance at its version. */
export interface AccountSnapshot {
  balance: number;
  version: number;
}

/** One admission: its user and its id. */
export interface AdmissionRef {
  userId: number;
  admissionId: string;
}

export interface HotCoins {
  /** Rate limit, then (loading a missing wallet from `load`) debit `amount` from `available` if it suffices; idempotent on (userId, admissionId); a new admission enters the pending index. */
  admitDebit(input: AdmitInput): Promise<AdmitResult>;
  /**
   * Each admission: pending or claimed → settled; false otherwise (already
   * settled/refunded, or unknown). Removes the index entry either way. A
   * consumer batch at once (one script call per pending bucket on Redis); a
   * result per ref, in order.
   */
  settleDebits(refs: AdmissionRef[]): Promise<boolean[]>;
  /**
   * pending or claimed (only pending with `onlyPending`) → refunded and its
   * amount back to `available` (see the header for a rebuilt wallet). False
   * otherwise. Removes the index entry, except when it refuses a claimed one.
   */
  refundDebit(userId: number, admissionId: string, opts?: RefundOptions): Promise<boolean>;
  /**
   * Each admission: pending → claimed (claimed stays claimed); the state
   * after the call, null when unknown or expired. The consumer claims its
   * batch before deciding it so the sender's cancel can no longer take the
   * admissions (one script call per pending bucket on Redis); a state per
   * ref, in order.
   */
  claimAdmissions(refs: AdmissionRef[]): Promise<(AdmissionState | null)[]>;
  /**
   * The re-drive sweeper's claim: up to `limit` admissions of `bucket` whose
   * index entry is at least `olderThanMs` old (admitted, or last claimed, then),
   * oldest first; their entries are bumped to now so each is handed out at
   * most once per `olderThanMs`. Claimed admissions are returned like pending
   * ones (their consumer may have died). Entries whose admission is gone or
   * finished are removed and not returned.
   */
  claimStalePending(bucket: number, olderThanMs: number, limit: number): Promise<PendingAdmission[]>;
  /** Entries in the pending index over all buckets (the invariant checker: 0 when quiescent). */
  countPending(): Promise<number>;
  getAdmission(userId: number, admissionId: string): Promise<Admission | null>;
  /** Set `available` from the database unless a wallet is present; see the header for `stale`. */
  loadAvailable(userId: number, balance: number, version: number): Promise<LoadResult>;
  /**
   * After a committed credit of `amount` that left the account at `balance`
   * and `version`. A missing wallet that left no marker (never loaded, or
   * expired undebited) is loaded from them, unless `load` is false (the row
   * is too old to load from), and expires after WALLET_MARKER_TTL_SEC unless
   * debited first. A dropped wallet's marker stops the load: debits admitted
   * before the drop may reach the database after this credit read its row.
   */
  creditAvailable(userId: number, amount: number, after: AccountSnapshot, opts?: { load?: boolean }): Promise<void>;
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
