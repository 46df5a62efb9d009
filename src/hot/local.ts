// The embedded hot store: the same operations as the Redis adapter, in
// process. Every operation runs synchronously inside one call, so it is atomic
// the way a Lua script is. Expiry is by timestamp, checked on access and swept
// periodically so forgotten keys do not pile up. Pub/sub handlers run in a
// microtask, never inside publish(), as they would with Redis.
import type { Admission, AdmissionState, AdmitResult, HotStore, LoadResult, RateLimitResult, Unsubscribe } from "./port.ts";
import { WALLET_MARKER_TTL_SEC, checkAdmit, checkNonEmpty, checkNonNegativeInt, checkPositiveInt, checkString } from "./shared.ts";

const SWEEP_INTERVAL_MS = 10_000;

/** Fields as in the Redis wallet hash (see redis/scripts/*.lua). */
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

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

interface Subscription {
  handler: (message: string) => void;
}

// A monotonic clock: wall-clock jumps must not expire or revive entries.
const now = () => performance.now();

class LocalHotStore implements HotStore {
  readonly kind = "local" as const;
  private readonly wallets = new Map<number, Wallet>();
  private readonly admissions = new Map<string, AdmissionRecord>();
  private readonly locks = new Map<string, Expiring<string>>();
  private readonly rateLimits = new Map<string, Expiring<number>>();
  private readonly channels = new Map<string, Set<Subscription>>();
  private generation = 0;
  private closed = false;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    // The sweeper alone must not keep the process alive.
    this.sweeper.unref?.();
  }

  private open(): void {
    if (this.closed) throw new Error("hot store: closed");
  }

  /** The entry under `key`, deleting it when it has expired. */
  private static live<K, T extends { expiresAt: number }>(map: Map<K, T>, key: K): T | undefined {
    const entry = map.get(key);
    if (entry && entry.expiresAt <= now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const t = now();
    for (const map of [this.wallets, this.admissions, this.locks, this.rateLimits] as Map<unknown, { expiresAt: number }>[]) {
      for (const [k, v] of map) if (v.expiresAt <= t) map.delete(k);
    }
  }

  // ---- coins ----

  async admitDebit(input: { userId: number; admissionId: string; amount: number; fingerprint: string; ttlSec: number }): Promise<AdmitResult> {
    this.open();
    checkAdmit(input);
    const key = admissionKey(input.userId, input.admissionId);
    const seen = LocalHotStore.live(this.admissions, key);
    if (seen) {
      return seen.fingerprint === input.fingerprint ? { kind: "duplicate", state: seen.state } : { kind: "conflict" };
    }
    const wallet = LocalHotStore.live(this.wallets, input.userId);
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
    checkPositiveInt("userId", userId);
    checkNonEmpty("admissionId", admissionId);
    const record = LocalHotStore.live(this.admissions, admissionKey(userId, admissionId));
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
    const wallet = LocalHotStore.live(this.wallets, userId);
    if (wallet?.a !== undefined && wallet.g === record.g) wallet.a += record.amount;
    return true;
  }

  async getAdmission(userId: number, admissionId: string): Promise<Admission | null> {
    this.open();
    checkPositiveInt("userId", userId);
    checkNonEmpty("admissionId", admissionId);
    const record = LocalHotStore.live(this.admissions, admissionKey(userId, admissionId));
    if (!record) return null;
    const state: AdmissionState = record.state;
    return { state, amount: record.amount, fingerprint: record.fingerprint };
  }

  async loadAvailable(userId: number, balance: number, version: number): Promise<LoadResult> {
    this.open();
    checkPositiveInt("userId", userId);
    checkNonNegativeInt("balance", balance);
    checkNonNegativeInt("version", version);
    const wallet = LocalHotStore.live(this.wallets, userId);
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
    const wallet = LocalHotStore.live(this.wallets, userId);
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
    return LocalHotStore.live(this.wallets, userId)?.a ?? null;
  }

  async dropWallet(userId: number): Promise<void> {
    this.open();
    checkPositiveInt("userId", userId);
    const wallet = LocalHotStore.live(this.wallets, userId);
    if (wallet?.a === undefined) return;
    // Keep the highest known version so an older in-flight load is `stale`.
    this.wallets.set(userId, { lv: -1, g: 0, cv: Math.max(wallet.cv, wallet.lv), expiresAt: now() + WALLET_MARKER_TTL_SEC * 1000 });
  }

  // ---- locks ----

  async acquireLock(name: string, ttlMs: number): Promise<string | null> {
    this.open();
    checkNonEmpty("lock name", name);
    checkPositiveInt("ttlMs", ttlMs);
    if (LocalHotStore.live(this.locks, name)) return null;
    const token = crypto.randomUUID();
    this.locks.set(name, { value: token, expiresAt: now() + ttlMs });
    return token;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    this.open();
    checkNonEmpty("lock name", name);
    checkString("token", token);
    if (LocalHotStore.live(this.locks, name)?.value !== token) return false;
    this.locks.delete(name);
    return true;
  }

  // ---- rate limits ----

  async hitRateLimit(key: string, limit: number, windowSec: number): Promise<RateLimitResult> {
    this.open();
    checkNonEmpty("rate limit key", key);
    checkNonNegativeInt("limit", limit);
    checkPositiveInt("windowSec", windowSec);
    let window = LocalHotStore.live(this.rateLimits, key);
    if (!window) {
      window = { value: 0, expiresAt: now() + windowSec * 1000 };
      this.rateLimits.set(key, window);
    }
    window.value += 1;
    const count = window.value;
    return { allowed: count <= limit, count, retryAfterSec: Math.max(1, Math.ceil((window.expiresAt - now()) / 1000)) };
  }

  // ---- publish/subscribe ----

  async publish(channel: string, message: string): Promise<void> {
    this.open();
    checkNonEmpty("channel", channel);
    checkString("message", message);
    const subs = this.channels.get(channel);
    if (!subs || subs.size === 0) return;
    // Those subscribed at publish time receive it, unless they leave before delivery.
    const targets = [...subs];
    queueMicrotask(() => {
      for (const sub of targets) {
        if (!subs.has(sub)) continue;
        // One failing handler must not keep the message from the others.
        try {
          sub.handler(message);
        } catch (err) {
          console.error(JSON.stringify({ level: "error", msg: "hot store subscriber threw", channel, err: String(err) }));
        }
      }
    });
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    this.open();
    checkNonEmpty("channel", channel);
    let subs = this.channels.get(channel);
    if (!subs) {
      subs = new Set();
      this.channels.set(channel, subs);
    }
    const sub: Subscription = { handler };
    subs.add(sub);
    const set = subs;
    return async () => {
      set.delete(sub);
      if (set.size === 0 && this.channels.get(channel) === set) this.channels.delete(channel);
    };
  }

  async ping(): Promise<void> {
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const subs of this.channels.values()) subs.clear();
    this.channels.clear();
  }
}

function admissionKey(userId: number, admissionId: string): string {
  return `${userId}:${admissionId}`;
}

export function createLocalHotStore(): HotStore {
  return new LocalHotStore();
}
