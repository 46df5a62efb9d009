// The coins in process: the same operations as redis.ts on maps, each
// synchronous inside one call so it is atomic the way a Lua script is.
import { checkPositiveInt } from "../checks.ts";
import { InProcessAdapter, live, now, sweepExpired } from "../in-process.ts";
import { checkAdmissionRef, checkAdmit, checkClaim, checkSnapshot, pendingMember } from "./checks.ts";
import {
  DEFAULT_RETRY_WINDOW_SEC,
  PENDING_ADMISSION_TTL_SEC,
  WALLET_MARKER_TTL_SEC,
  pendingBucket,
  type AccountSnapshot,
  type Admission,
  type AdmissionRef,
  type AdmissionState,
  type AdmitInput,
  type AdmitResult,
  type DropWalletOptions,
  type HotCoins,
  type LoadResult,
  type PendingAdmission,
  type RefundOptions,
  isUnfinished,
} from "./port.ts";

/** Fields as in the Redis wallet hash (see scripts/*.lua). */
interface Wallet {
  /** available; undefined when not loaded (only the version marker remains). */
  a?: number;
  /** version the load read */
  lv: number;
  /** generation: a new one per load */
  g: number;
  /** highest credit version seen; -1 when none */
  cv: number;
  /** expiry of a marker-only entry, or of a wallet a credit loaded until its first debit; Infinity otherwise */
  expiresAt: number;
}

type LoadedWallet = Wallet & { a: number };

function isLoaded(wallet: Wallet | undefined): wallet is LoadedWallet {
  return wallet?.a !== undefined;
}

/** Fields as in the Redis admission hash; amount, g and payload only while pending or claimed. */
interface AdmissionRecord extends Admission {
  g?: number;
  payload?: string;
  expiresAt: number;
}

/** A pending-index entry; `at` is wall-clock ms like the Redis zset's score. */
interface PendingEntry {
  userId: number;
  admissionId: string;
  at: number;
}

const admissionKey = pendingMember;

export class LocalCoins extends InProcessAdapter implements HotCoins {
  private readonly wallets = new Map<number, Wallet>();
  private readonly admissions = new Map<string, AdmissionRecord>();
  private readonly rateCounters = new Map<string, { count: number; expiresAt: number }>();
  /** The pending index: one map per bucket, by member. */
  private readonly pendingIndex = new Map<number, Map<string, PendingEntry>>();
  private readonly retryWindowMs: number;
  private generation = 0;

  /** `retryWindowSec`: how long a settled or refunded admission answers retries. */
  constructor(opts: { retryWindowSec?: number } = {}) {
    super();
    const window = opts.retryWindowSec ?? DEFAULT_RETRY_WINDOW_SEC;
    checkPositiveInt("retryWindowSec", window);
    this.retryWindowMs = window * 1000;
  }

  sweep(): void {
    sweepExpired([this.wallets, this.admissions, this.rateCounters]);
  }

  private bucketIndex(bucket: number): Map<string, PendingEntry> {
    let index = this.pendingIndex.get(bucket);
    if (!index) this.pendingIndex.set(bucket, (index = new Map()));
    return index;
  }

  /** Counts one hit; true when over the limit (hitRateLimit-1.lua's window, per user and name). */
  private overLimit(userId: number, rateLimit: NonNullable<AdmitInput["rateLimit"]>): { retryAfterSec: number } | null {
    const key = `${userId}:${rateLimit.name}`;
    let window = live(this.rateCounters, key);
    if (!window) this.rateCounters.set(key, (window = { count: 0, expiresAt: now() + rateLimit.windowSec * 1000 }));
    window.count += 1;
    if (window.count <= rateLimit.limit) return null;
    return { retryAfterSec: Math.max(1, Math.ceil((window.expiresAt - now()) / 1000)) };
  }

  async admitDebit(input: AdmitInput): Promise<AdmitResult> {
    this.open();
    checkAdmit(input);
    if (input.rateLimit) {
      const limited = this.overLimit(input.userId, input.rateLimit);
      if (limited) return { kind: "rate_limited", ...limited };
    }
    const key = admissionKey(input.userId, input.admissionId);
    const seen = live(this.admissions, key);
    if (seen) {
      if (seen.fingerprint !== input.fingerprint) return { kind: "conflict" };
      return isUnfinished(seen.state) && seen.payload !== undefined ? { kind: "duplicate", state: seen.state, payload: seen.payload } : { kind: "duplicate", state: seen.state };
    }
    const found = live(this.wallets, input.userId);
    let wallet: LoadedWallet;
    if (isLoaded(found)) wallet = found;
    else {
      // A cold admission loads the row its caller read (admitDebit-4.lua).
      if (!input.load) return { kind: "unloaded" };
      if (found && found.cv > input.load.version) return { kind: "stale" };
      wallet = this.load(input.userId, input.load, found?.cv ?? -1, Infinity);
    }
    if (wallet.a < input.amount) return { kind: "insufficient", available: wallet.a, knownVersion: Math.max(wallet.lv, wallet.cv) };
    wallet.a -= input.amount;
    wallet.expiresAt = Infinity;
    this.admissions.set(key, {
      state: "pending",
      amount: input.amount,
      fingerprint: input.fingerprint,
      g: wallet.g,
      payload: input.payload,
      expiresAt: now() + PENDING_ADMISSION_TTL_SEC * 1000,
    });
    if (input.payload !== undefined) this.bucketIndex(pendingBucket(input.userId)).set(key, { userId: input.userId, admissionId: input.admissionId, at: Date.now() });
    return { kind: "admitted", available: wallet.a };
  }

  /**
   * Leaves the pending or claimed state (settleDebits-1.lua, refundDebit-3.lua):
   * the index entry goes in every case but a refused `onlyPending` refund of a
   * claimed record; a finished record becomes {state, fingerprint} for the
   * retry window. Returns what it was while unfinished, or undefined.
   */
  private finish(
    userId: number,
    admissionId: string,
    state: "settled" | "refunded",
    opts: RefundOptions = {},
  ): { amount: number; g: number } | undefined {
    checkAdmissionRef(userId, admissionId);
    const key = admissionKey(userId, admissionId);
    const record = live(this.admissions, key);
    if (record?.state === "claimed" && opts.onlyPending) return undefined;
    this.pendingIndex.get(pendingBucket(userId))?.delete(key);
    if (!record || !isUnfinished(record.state)) return undefined;
    const was = { amount: record.amount!, g: record.g! };
    this.admissions.set(key, { state, fingerprint: record.fingerprint, expiresAt: now() + this.retryWindowMs });
    return was;
  }

  async settleDebits(refs: AdmissionRef[]): Promise<boolean[]> {
    this.open();
    return refs.map((r) => this.finish(r.userId, r.admissionId, "settled") !== undefined);
  }

  async refundDebit(userId: number, admissionId: string, opts: RefundOptions = {}): Promise<boolean> {
    this.open();
    const was = this.finish(userId, admissionId, "refunded", opts);
    if (!was) return false;
    // Only the wallet generation the debit came from gets the amount back; a
    // rebuilt wallet read a balance that never lost it (refundDebit-3.lua).
    const wallet = live(this.wallets, userId);
    if (isLoaded(wallet) && wallet.g === was.g) wallet.a += was.amount;
    return true;
  }

  async claimAdmissions(refs: AdmissionRef[]): Promise<(AdmissionState | null)[]> {
    this.open();
    return refs.map(({ userId, admissionId }) => {
      checkAdmissionRef(userId, admissionId);
      const record = live(this.admissions, admissionKey(userId, admissionId));
      if (!record) return null;
      if (record.state === "pending") record.state = "claimed";
      return record.state;
    });
  }

  async claimStalePending(bucket: number, olderThanMs: number, limit: number): Promise<PendingAdmission[]> {
    this.open();
    checkClaim(bucket, olderThanMs, limit);
    const index = this.pendingIndex.get(bucket);
    if (!index) return [];
    const at = Date.now();
    const stale = [...index.entries()].filter(([, e]) => e.at <= at - olderThanMs).sort((x, y) => x[1].at - y[1].at).slice(0, limit);
    const claimed: PendingAdmission[] = [];
    for (const [member, entry] of stale) {
      const record = live(this.admissions, member);
      if (!isUnfinished(record?.state) || record?.payload === undefined) {
        index.delete(member);
        continue;
      }
      entry.at = at;
      claimed.push({ userId: entry.userId, admissionId: entry.admissionId, payload: record.payload });
    }
    return claimed;
  }

  async countPending(): Promise<number> {
    this.open();
    let n = 0;
    for (const index of this.pendingIndex.values()) n += index.size;
    return n;
  }

  async getAdmission(userId: number, admissionId: string): Promise<Admission | null> {
    this.open();
    checkAdmissionRef(userId, admissionId);
    const record = live(this.admissions, admissionKey(userId, admissionId));
    if (!record) return null;
    const admission: Admission = { state: record.state, fingerprint: record.fingerprint };
    if (record.amount !== undefined) admission.amount = record.amount;
    return admission;
  }

  /** A new incarnation of the user's wallet: `available` from the database row, a fresh generation. */
  private load(userId: number, row: AccountSnapshot, cv: number, expiresAt: number): LoadedWallet {
    this.generation += 1;
    const wallet = { a: row.balance, lv: row.version, g: this.generation, cv, expiresAt };
    this.wallets.set(userId, wallet);
    return wallet;
  }

  async loadAvailable(userId: number, balance: number, version: number): Promise<LoadResult> {
    this.open();
    checkPositiveInt("userId", userId);
    checkSnapshot({ balance, version });
    const wallet = live(this.wallets, userId);
    if (isLoaded(wallet)) return "present";
    if (wallet && wallet.cv > version) return "stale";
    this.load(userId, { balance, version }, wallet?.cv ?? -1, Infinity);
    return "loaded";
  }

  async creditAvailable(userId: number, amount: number, after: AccountSnapshot, opts: { load?: boolean } = {}): Promise<void> {
    this.open();
    checkPositiveInt("userId", userId);
    checkPositiveInt("amount", amount);
    checkSnapshot(after);
    const { version } = after;
    const wallet = live(this.wallets, userId);
    if (!isLoaded(wallet)) {
      // Missing: load it from the credit's own row (creditAvailable-1.lua)
      // only when no marker is left — a dropped wallet's debits may have
      // reached the database after this credit read its row; either way it
      // expires unless debited.
      const expiresAt = now() + WALLET_MARKER_TTL_SEC * 1000;
      const cv = Math.max(wallet?.cv ?? -1, version);
      if (wallet || opts.load === false) this.wallets.set(userId, { lv: -1, g: 0, cv, expiresAt });
      else this.load(userId, after, cv, expiresAt);
      return;
    }
    wallet.cv = Math.max(wallet.cv, version);
    // Against the load version, not the last credit's: out-of-order credits each count once.
    if (version > wallet.lv) wallet.a += amount;
  }

  async getAvailable(userId: number): Promise<number | null> {
    this.open();
    checkPositiveInt("userId", userId);
    return live(this.wallets, userId)?.a ?? null;
  }

  async dropWallet(userId: number, opts: DropWalletOptions = {}): Promise<void> {
    this.open();
    checkPositiveInt("userId", userId);
    const wallet = live(this.wallets, userId);
    if (!isLoaded(wallet)) return;
    // Someone already rebuilt it: dropping again would forget debits admitted since.
    if (opts.ifKnownVersion !== undefined && Math.max(wallet.lv, wallet.cv) !== opts.ifKnownVersion) return;
    // Keep the highest known version so an older in-flight load is `stale`.
    this.wallets.set(userId, { lv: -1, g: 0, cv: Math.max(wallet.cv, wallet.lv), expiresAt: now() + WALLET_MARKER_TTL_SEC * 1000 });
  }
}
