// The coins on Redis: one Lua script per multi-step operation (./scripts), so
// each is atomic and one round trip. A user's wallet and admissions share the
// hash tag {u:<userId>}, so every script's keys are in one cluster slot.
import type { Result } from "ioredis";
import { randomUUID } from "node:crypto";
import { checkNonNegativeInt, checkPositiveInt } from "../checks.ts";
import type { RedisClient, RedisConnection } from "../redis/connection.ts";
import { ReplyCode, defineScripts, unexpectedReply } from "../redis/scripts.ts";
import { checkAdmissionRef, checkAdmit } from "./checks.ts";
import { WALLET_MARKER_TTL_SEC, type Admission, type AdmissionState, type AdmitInput, type AdmitResult, type DropWalletOptions, type HotCoins, type LoadResult } from "./port.ts";

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
  /** admitDebit, creditAvailable: no wallet loaded. */
  Unloaded: -4,
  /** settleDebit, refundDebit: the admission is not pending. */
  NotPending: -5,
  /** loadAvailable: a wallet is already loaded. */
  Present: -6,
  /** loadAvailable: a newer credit committed while the wallet was missing. */
  Stale: -7,
  /** creditAvailable: the loaded value already includes this credit. */
  AlreadyCounted: -8,
} as const;

declare module "ioredis" {
  interface RedisCommander<Context> {
    hotAdmitDebit(wallet: string, admission: string, amount: string, fingerprint: string, ttlSec: string): Result<[number, (number | string)?, number?], Context>;
    hotSettleDebit(admission: string): Result<number, Context>;
    hotRefundDebit(wallet: string, admission: string): Result<number, Context>;
    hotLoadAvailable(wallet: string, balance: string, version: string, generation: string): Result<number, Context>;
    hotCreditAvailable(wallet: string, amount: string, version: string, markerTtlSec: string): Result<number, Context>;
    hotDropWallet(wallet: string, markerTtlSec: string, ifKnownVersion: string): Result<number, Context>;
  }
}

/** Script files by command name; the key count is part of the file name. */
const SCRIPTS = {
  hotAdmitDebit: "admitDebit-2.lua",
  hotSettleDebit: "settleDebit-1.lua",
  hotRefundDebit: "refundDebit-2.lua",
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
}

export function coinKeys(conn: Pick<RedisConnection, "key">): CoinKeys {
  return {
    wallet: (userId) => conn.key(`u:${userId}`, ":wallet"),
    admission: (userId, admissionId) => conn.key(`u:${userId}`, `:adm:${admissionId}`),
  };
}

const STATES: readonly AdmissionState[] = ["pending", "settled", "refunded"];

function asState(value: unknown, script: string): AdmissionState {
  if (STATES.includes(value as AdmissionState)) return value as AdmissionState;
  throw unexpectedReply(script, value);
}

/** The coins on an open connection whose scripts `defineCoinScripts` registered. */
export class RedisCoins implements HotCoins {
  private readonly keys: CoinKeys;
  private readonly client: RedisClient;

  constructor(conn: RedisConnection) {
    this.client = conn.client;
    this.keys = coinKeys(conn);
  }

  async admitDebit(input: AdmitInput): Promise<AdmitResult> {
    checkAdmit(input);
    const reply = await this.client.hotAdmitDebit(
      this.keys.wallet(input.userId),
      this.keys.admission(input.userId, input.admissionId),
      String(input.amount),
      input.fingerprint,
      String(input.ttlSec),
    );
    const [code, value, known] = reply;
    switch (code) {
      case CoinReply.Ok:
        return { kind: "admitted", available: Number(value) };
      case CoinReply.Insufficient:
        return { kind: "insufficient", available: Number(value), knownVersion: Number(known) };
      case CoinReply.Duplicate:
        return { kind: "duplicate", state: asState(value, "admitDebit") };
      case CoinReply.Conflict:
        return { kind: "conflict" };
      case CoinReply.Unloaded:
        return { kind: "unloaded" };
      default:
        throw unexpectedReply("admitDebit", reply);
    }
  }

  async settleDebit(userId: number, admissionId: string): Promise<boolean> {
    checkAdmissionRef(userId, admissionId);
    const code = await this.client.hotSettleDebit(this.keys.admission(userId, admissionId));
    if (code === CoinReply.Ok) return true;
    if (code === CoinReply.NotPending) return false;
    throw unexpectedReply("settleDebit", code);
  }

  async refundDebit(userId: number, admissionId: string): Promise<boolean> {
    checkAdmissionRef(userId, admissionId);
    const code = await this.client.hotRefundDebit(this.keys.wallet(userId), this.keys.admission(userId, admissionId));
    if (code === CoinReply.Ok || code === CoinReply.RefundAbsorbed) return true;
    if (code === CoinReply.NotPending) return false;
    throw unexpectedReply("refundDebit", code);
  }

  async getAdmission(userId: number, admissionId: string): Promise<Admission | null> {
    checkAdmissionRef(userId, admissionId);
    const [state, amount, fingerprint] = await this.client.hmget(this.keys.admission(userId, admissionId), "s", "m", "f");
    if (state == null) return null;
    return { state: asState(state, "getAdmission"), amount: Number(amount), fingerprint: fingerprint ?? "" };
  }

  async loadAvailable(userId: number, balance: number, version: number): Promise<LoadResult> {
    checkPositiveInt("userId", userId);
    checkNonNegativeInt("balance", balance);
    checkNonNegativeInt("version", version);
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

  async creditAvailable(userId: number, amount: number, version: number): Promise<void> {
    checkPositiveInt("userId", userId);
    checkPositiveInt("amount", amount);
    checkNonNegativeInt("version", version);
    const code = await this.client.hotCreditAvailable(this.keys.wallet(userId), String(amount), String(version), String(WALLET_MARKER_TTL_SEC));
    if (code !== CoinReply.Ok && code !== CoinReply.AlreadyCounted && code !== CoinReply.Unloaded) {
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
