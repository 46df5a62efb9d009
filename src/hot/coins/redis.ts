// The coins on Redis: one Lua script per multi-step operation (./scripts), so
// each is atomic and one round trip. A user's wallet, admissions and rate-limit
// counters and the pending index of the user's bucket share the hash tag
// {w:<userId mod 256>}, so every script's keys are in one cluster slot.
import type { Result } from "ioredis";
import { randomUUID } from "node:crypto";
import { checkPositiveInt } from "../checks.ts";
import { COMMAND_TIMEOUT_MS, type RedisClient, type RedisConnection } from "../redis/connection.ts";
import { ReplyCode, defineScripts, unexpectedReply } from "../redis/scripts.ts";
import { StoreUnavailable } from "../../lib/errors.ts";
import { checkAdmissionRef, checkAdmit, checkClaim, checkSnapshot, parsePendingMember, pendingMember } from "./checks.ts";
import {
  DEFAULT_RETRY_WINDOW_SEC,
  PENDING_ADMISSION_TTL_SEC,
  PENDING_BUCKETS,
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

/**
 * How far Redis's clock may run ahead of ours before admissions are refused
 * as too late: the deadline an admission carries is its command timeout plus
 * this. Hosts kept by NTP are within milliseconds.
 */
const CLOCK_SKEW_TOLERANCE_MS = 1000;

/** Reply codes of the coin scripts; negative codes are the expected "no" answers. */
export const CoinReply = {
  ...ReplyCode,
  /** refundDebit: refunded, but `available` was rebuilt since the debit and already holds the amount. */
  RefundAbsorbed: 2,
  /** admitDebit: `available` is below the amount. */
  Insufficient: -1,
  /** admitDebit: admission id seen before with the same fingerprint. */
  Duplicate: -2,
  /** admitDebit: admission id seen before with another fingerprint. */
  Conflict: -3,
  /** admitDebit: no wallet loaded (and no load given). creditAvailable: no wallet, and a newer credit was seen. */
  Unloaded: -4,
  /** settleDebits, refundDebit: the admission is not pending or claimed (refundDebit with onlyPending: not pending). */
  NotPending: -5,
  /** loadAvailable: a wallet is already loaded. */
  Present: -6,
  /** loadAvailable, admitDebit with a load: a newer credit committed while the wallet was missing. */
  Stale: -7,
  /** creditAvailable: the loaded value already includes this credit. */
  AlreadyCounted: -8,
  /** admitDebit: over the rate limit. */
  RateLimited: -9,
  /** admitDebit: ran after its caller's deadline. */
  TooLate: -10,
  /** creditAvailable: no wallet; loaded from the credit's balance. */
  LoadedByCredit: 3,
} as const;

declare module "ioredis" {
  interface RedisCommander<Context> {
    hotAdmitDebit(
      wallet: string,
      admission: string,
      rateCounter: string,
      pending: string,
      amount: string,
      fingerprint: string,
      payload: string,
      pendingTtlSec: string,
      member: string,
      nowMs: string,
      limit: string,
      windowMs: string,
      deadlineMs: string,
      loadBalance: string,
      loadVersion: string,
      generation: string,
    ): Result<[number, (number | string)?, (number | string | null)?], Context>;
    hotSettleDebits(pending: string, retryWindowSec: string, ...admissionsAndMembers: string[]): Result<number[] | number, Context>;
    hotRefundDebit(wallet: string, admission: string, pending: string, member: string, retryWindowSec: string, onlyPending: string): Result<number, Context>;
    hotClaimAdmissions(pending: string, ...admissions: string[]): Result<string[], Context>;
    hotClaimPending(pending: string, cutoffMs: string, nowMs: string, limit: string): Result<(string | number)[], Context>;
    hotLoadAvailable(wallet: string, balance: string, version: string, generation: string): Result<number, Context>;
    hotCreditAvailable(wallet: string, amount: string, version: string, markerTtlSec: string, balance: string, generation: string): Result<number, Context>;
    hotDropWallet(wallet: string, markerTtlSec: string, ifKnownVersion: string): Result<number, Context>;
  }
}

/** Script files by command name; the key count is part of the file name. */
const SCRIPTS = {
  hotAdmitDebit: "admitDebit-4.lua",
  hotSettleDebits: "settleDebits-1.lua",
  hotRefundDebit: "refundDebit-3.lua",
  hotClaimPending: "claimPending-1.lua",
  hotClaimAdmissions: "claimAdmissions-1.lua",
  hotLoadAvailable: "loadAvailable-1.lua",
  hotCreditAvailable: "creditAvailable-1.lua",
  hotDropWallet: "dropWallet-1.lua",
};

export function defineCoinScripts(client: RedisClient): void {
  defineScripts(client, new URL("./scripts/", import.meta.url), SCRIPTS);
}

export interface CoinKeys {
  wallet(userId: number): string;
  admission(userId: number, admissionId: string): string;
  rateCounter(userId: number, name: string): string;
  /** The pending index of a bucket. */
  pending(bucket: number): string;
}

export function coinKeys(conn: Pick<RedisConnection, "key">): CoinKeys {
  const tag = (userId: number) => `w:${pendingBucket(userId)}`;
  return {
    wallet: (userId) => conn.key(tag(userId), `:wallet:${userId}`),
    admission: (userId, admissionId) => conn.key(tag(userId), `:adm:${userId}:${admissionId}`),
    rateCounter: (userId, name) => conn.key(tag(userId), `:rl:${userId}:${name}`),
    pending: (bucket) => conn.key(`w:${bucket}`, ":pending"),
  };
}

const STATES: readonly AdmissionState[] = ["pending", "claimed", "settled", "refunded"];

function asState(value: unknown, script: string): AdmissionState {
  if (STATES.includes(value as AdmissionState)) return value as AdmissionState;
  throw unexpectedReply(script, value);
}

/** The indexes of `refs` grouped by pending bucket (one slot per group), each checked. */
function byBucket(refs: AdmissionRef[]): [bucket: number, indexes: number[]][] {
  const groups = new Map<number, number[]>();
  refs.forEach((r, i) => {
    checkAdmissionRef(r.userId, r.admissionId);
    const bucket = pendingBucket(r.userId);
    const group = groups.get(bucket);
    if (group) group.push(i);
    else groups.set(bucket, [i]);
  });
  return [...groups.entries()];
}

/**
 * A batch script run once per pending bucket (one slot each), pipelined:
 * `call` sends the bucket's refs, its reply must hold one entry per ref, and
 * `decode` turns each entry into that ref's answer, in the order of `refs`.
 */
async function perBucket<T>(
  refs: AdmissionRef[],
  script: string,
  call: (bucket: number, group: AdmissionRef[]) => Promise<unknown>,
  decode: (reply: unknown, replies: unknown[]) => T,
): Promise<T[]> {
  const answers: T[] = new Array(refs.length);
  await Promise.all(
    byBucket(refs).map(async ([bucket, group]) => {
      const replies = await call(bucket, group.map((i) => refs[i]!));
      if (!Array.isArray(replies) || replies.length !== group.length) throw unexpectedReply(script, replies);
      group.forEach((i, k) => (answers[i] = decode(replies[k], replies)));
    }),
  );
  return answers;
}

/** The coins on an open connection whose scripts `defineCoinScripts` registered. */
export class RedisCoins implements HotCoins {
  private readonly keys: CoinKeys;
  private readonly client: RedisClient;
  private readonly retryWindowSec: string;

  /** `retryWindowSec`: how long a settled or refunded admission answers retries. */
  constructor(conn: RedisConnection, opts: { retryWindowSec?: number } = {}) {
    this.client = conn.client;
    this.keys = coinKeys(conn);
    const window = opts.retryWindowSec ?? DEFAULT_RETRY_WINDOW_SEC;
    checkPositiveInt("retryWindowSec", window);
    this.retryWindowSec = String(window);
  }

  async admitDebit(input: AdmitInput): Promise<AdmitResult> {
    checkAdmit(input);
    const { userId, admissionId, rateLimit, load } = input;
    const now = Date.now();
    const reply = await this.client.hotAdmitDebit(
      this.keys.wallet(userId),
      this.keys.admission(userId, admissionId),
      this.keys.rateCounter(userId, rateLimit?.name ?? "none"),
      this.keys.pending(pendingBucket(userId)),
      String(input.amount),
      input.fingerprint,
      input.payload ?? "",
      String(PENDING_ADMISSION_TTL_SEC),
      pendingMember(userId, admissionId),
      String(now),
      String(rateLimit?.limit ?? 0),
      String(rateLimit ? rateLimit.windowSec * 1000 : 0),
      String(now + COMMAND_TIMEOUT_MS + CLOCK_SKEW_TOLERANCE_MS),
      load ? String(load.balance) : "",
      load ? String(load.version) : "",
      load ? randomUUID() : "",
    );
    const [code, value, extra] = reply;
    switch (code) {
      case CoinReply.Ok:
        return { kind: "admitted", available: Number(value) };
      case CoinReply.Insufficient:
        return { kind: "insufficient", available: Number(value), knownVersion: Number(extra) };
      case CoinReply.Duplicate: {
        const state = asState(value, "admitDebit");
        return isUnfinished(state) && typeof extra === "string" ? { kind: "duplicate", state, payload: extra } : { kind: "duplicate", state };
      }
      case CoinReply.TooLate:
        throw new StoreUnavailable("hot store", "admitDebit ran after its caller's deadline (a stalled Redis, or its clock ahead of ours)");
      case CoinReply.RateLimited:
        return { kind: "rate_limited", retryAfterSec: Math.max(1, Math.ceil(Number(value) / 1000)) };
      case CoinReply.Conflict:
        return { kind: "conflict" };
      case CoinReply.Unloaded:
        return { kind: "unloaded" };
      case CoinReply.Stale:
        return { kind: "stale" };
      default:
        throw unexpectedReply("admitDebit", reply);
    }
  }

  /** One settleDebits-1.lua call per pending bucket (one slot each), pipelined. */
  settleDebits(refs: AdmissionRef[]): Promise<boolean[]> {
    return perBucket(
      refs,
      "settleDebits",
      (bucket, group) =>
        this.client.hotSettleDebits(this.keys.pending(bucket), this.retryWindowSec, ...group.flatMap((r) => [this.keys.admission(r.userId, r.admissionId), pendingMember(r.userId, r.admissionId)])),
      (code, codes) => {
        if (code === CoinReply.Ok) return true;
        if (code === CoinReply.NotPending) return false;
        throw unexpectedReply("settleDebits", codes);
      },
    );
  }

  async refundDebit(userId: number, admissionId: string, opts: RefundOptions = {}): Promise<boolean> {
    checkAdmissionRef(userId, admissionId);
    const code = await this.client.hotRefundDebit(
      this.keys.wallet(userId),
      this.keys.admission(userId, admissionId),
      this.keys.pending(pendingBucket(userId)),
      pendingMember(userId, admissionId),
      this.retryWindowSec,
      opts.onlyPending ? "1" : "0",
    );
    if (code === CoinReply.Ok || code === CoinReply.RefundAbsorbed) return true;
    if (code === CoinReply.NotPending) return false;
    throw unexpectedReply("refundDebit", code);
  }

  /** One claimAdmissions-1.lua call per pending bucket (one slot each), pipelined. */
  claimAdmissions(refs: AdmissionRef[]): Promise<(AdmissionState | null)[]> {
    return perBucket(
      refs,
      "claimAdmissions",
      (bucket, group) => this.client.hotClaimAdmissions(this.keys.pending(bucket), ...group.map((r) => this.keys.admission(r.userId, r.admissionId))),
      (reply) => (reply === "" ? null : asState(reply, "claimAdmissions")),
    );
  }

  async getAdmission(userId: number, admissionId: string): Promise<Admission | null> {
    checkAdmissionRef(userId, admissionId);
    const [state, amount, fingerprint] = await this.client.hmget(this.keys.admission(userId, admissionId), "s", "m", "f");
    if (state == null) return null;
    const admission: Admission = { state: asState(state, "getAdmission"), fingerprint: fingerprint ?? "" };
    if (amount != null) admission.amount = Number(amount);
    return admission;
  }

  async claimStalePending(bucket: number, olderThanMs: number, limit: number): Promise<PendingAdmission[]> {
    checkClaim(bucket, olderThanMs, limit);
    const pending = this.keys.pending(bucket);
    const now = Date.now();
    const members = await this.client.hotClaimPending(pending, String(now - olderThanMs), String(now), String(limit));
    if (members[0] === CoinReply.BadArgument) throw unexpectedReply("claimPending", members);
    const refs = members.map((m) => parsePendingMember(String(m)));
    // Same slot as the index: one pipelined read of every claimed admission.
    const records = await Promise.all(refs.map((r) => this.client.hmget(this.keys.admission(r.userId, r.admissionId), "s", "p")));
    const claimed: PendingAdmission[] = [];
    const gone: string[] = [];
    refs.forEach((r, i) => {
      const [state, payload] = records[i]!;
      if (isUnfinished(state) && payload != null) claimed.push({ ...r, payload });
      else gone.push(pendingMember(r.userId, r.admissionId));
    });
    if (gone.length > 0) await this.client.zrem(pending, ...gone);
    return claimed;
  }

  async countPending(): Promise<number> {
    const counts = await Promise.all(Array.from({ length: PENDING_BUCKETS }, (_, b) => this.client.zcard(this.keys.pending(b))));
    return counts.reduce((a, b) => a + b, 0);
  }

  async loadAvailable(userId: number, balance: number, version: number): Promise<LoadResult> {
    checkPositiveInt("userId", userId);
    checkSnapshot({ balance, version });
    const code = await this.client.hotLoadAvailable(this.keys.wallet(userId), String(balance), String(version), randomUUID());
    switch (code) {
      case CoinReply.Ok:
        return "loaded";
      case CoinReply.Present:
        return "present";
      case CoinReply.Stale:
        return "stale";
      default:
        throw unexpectedReply("loadAvailable", code);
    }
  }

  async creditAvailable(userId: number, amount: number, after: AccountSnapshot, opts: { load?: boolean } = {}): Promise<void> {
    checkPositiveInt("userId", userId);
    checkPositiveInt("amount", amount);
    checkSnapshot(after);
    const code = await this.client.hotCreditAvailable(
      this.keys.wallet(userId),
      String(amount),
      String(after.version),
      String(WALLET_MARKER_TTL_SEC),
      opts.load === false ? "" : String(after.balance),
      randomUUID(),
    );
    if (code !== CoinReply.Ok && code !== CoinReply.AlreadyCounted && code !== CoinReply.Unloaded && code !== CoinReply.LoadedByCredit) {
      throw unexpectedReply("creditAvailable", code);
    }
  }

  async getAvailable(userId: number): Promise<number | null> {
    checkPositiveInt("userId", userId);
    const a = await this.client.hget(this.keys.wallet(userId), "a");
    return a == null ? null : Number(a);
  }

  async dropWallet(userId: number, opts: DropWalletOptions = {}): Promise<void> {
    checkPositiveInt("userId", userId);
    const expected = opts.ifKnownVersion === undefined ? "" : String(opts.ifKnownVersion);
    const code = await this.client.hotDropWallet(this.keys.wallet(userId), String(WALLET_MARKER_TTL_SEC), expected);
    if (code !== CoinReply.Ok && code !== 0 && code !== 2) throw unexpectedReply("dropWallet", code);
  }
}
