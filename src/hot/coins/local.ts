// The coins in process: the same operations as redis.ts on maps, each
// synchronous inside one call so it is atomic the way a Lua script is.
import { checkNonNegativeInt, checkPositiveInt } from "../checks.ts";
import { InProcessAdapter, live, now, sweepExpired } from "../in-process.ts";
import { checkAdmissionRef, checkAdmit } from "./checks.ts";
import { WALLET_MARKER_TTL_SEC, type Admission, type AdmissionState, type AdmitInput, type AdmitResult, type DropWalletOptions, type HotCoins, type LoadResult } from "./port.ts";

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
  /** expiry of a marker-only entry; Infinity while loaded */
  expiresAt: number;
}

interface AdmissionRecord extends Admission {
  g: number;
  expiresAt: number;
}

function admissionKey(userId: number, admissionId: string): string {
  return `${userId}:${admissionId}`;
}

export class LocalCoins extends InProcessAdapter implements HotCoins {
  private readonly wallets = new Map<number, Wallet>();
  private readonly admissions = new Map<string, AdmissionRecord>();
  private generation = 0;

  sweep(): void {
    sweepExpired([this.wallets, this.admissions]);
  }

  async admitDebit(input: AdmitInput): Promise<AdmitResult> {
    this.open();
    checkAdmit(input);
    const key = admissionKey(input.userId, input.admissionId);
    const seen = live(this.admissions, key);
    if (seen) {
      return seen.fingerprint === input.fingerprint ? { kind: "duplicate", state: seen.state } : { kind: "conflict" };
    }
    const wallet = live(this.wallets, input.userId);
    if (wallet?.a === undefined) return { kind: "unloaded" };
    if (wallet.a < input.amount) return { kind: "insufficient", available: wallet.a, knownVersion: Math.max(wallet.lv, wallet.cv) };
    wallet.a -= input.amount;
    this.admissions.set(key, {
      state: "pending",
      amount: input.amount,
      fingerprint: input.fingerprint,
      g: wallet.g,
      expiresAt: now() + input.ttlSec * 1000,
    });
    return { kind: "admitted", available: wallet.a };
  }

  private pending(userId: number, admissionId: string): AdmissionRecord | undefined {
    checkAdmissionRef(userId, admissionId);
    const record = live(this.admissions, admissionKey(userId, admissionId));
    return record?.state === "pending" ? record : undefined;
  }

  async settleDebit(userId: number, admissionId: string): Promise<boolean> {
    this.open();
    const record = this.pending(userId, admissionId);
    if (!record) return false;
    record.state = "settled";
    return true;
  }

  async refundDebit(userId: number, admissionId: string): Promise<boolean> {
    this.open();
    const record = this.pending(userId, admissionId);
    if (!record) return false;
    record.state = "refunded";
    // Only the wallet generation the debit came from gets the amount back; a
    // rebuilt wallet read a balance that never lost it (refundDebit-2.lua).
    const wallet = live(this.wallets, userId);
    if (wallet?.a !== undefined && wallet.g === record.g) wallet.a += record.amount;
    return true;
  }

  async getAdmission(userId: number, admissionId: string): Promise<Admission | null> {
    this.open();
    checkAdmissionRef(userId, admissionId);
    const record = live(this.admissions, admissionKey(userId, admissionId));
    if (!record) return null;
    const state: AdmissionState = record.state;
    return { state, amount: record.amount, fingerprint: record.fingerprint };
  }

  async loadAvailable(userId: number, balance: number, version: number): Promise<LoadResult> {
    this.open();
    checkPositiveInt("userId", userId);
    checkNonNegativeInt("balance", balance);
    checkNonNegativeInt("version", version);
    const wallet = live(this.wallets, userId);
    if (wallet?.a !== undefined) return "present";
    if (wallet && wallet.cv > version) return "stale";
    this.generation += 1;
    this.wallets.set(userId, { a: balance, lv: version, g: this.generation, cv: wallet?.cv ?? -1, expiresAt: Infinity });
    return "loaded";
  }

  async creditAvailable(userId: number, amount: number, version: number): Promise<void> {
    this.open();
    checkPositiveInt("userId", userId);
    checkPositiveInt("amount", amount);
    checkNonNegativeInt("version", version);
    const wallet = live(this.wallets, userId);
    if (!wallet) {
      this.wallets.set(userId, { lv: -1, g: 0, cv: version, expiresAt: now() + WALLET_MARKER_TTL_SEC * 1000 });
      return;
    }
    wallet.cv = Math.max(wallet.cv, version);
    if (wallet.a === undefined) {
      wallet.expiresAt = now() + WALLET_MARKER_TTL_SEC * 1000;
      return;
    }
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
    if (wallet?.a === undefined) return;
    // Someone already rebuilt it: dropping again would forget debits admitted since.
    if (opts.ifKnownVersion !== undefined && Math.max(wallet.lv, wallet.cv) !== opts.ifKnownVersion) return;
    // Keep the highest known version so an older in-flight load is `stale`.
    this.wallets.set(userId, { lv: -1, g: 0, cv: Math.max(wallet.cv, wallet.lv), expiresAt: now() + WALLET_MARKER_TTL_SEC * 1000 });
  }
}
