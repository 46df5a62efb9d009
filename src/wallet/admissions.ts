// The coin admission lifecycle: the only place that drives the hot store's
// coins (src/hot/coins/port.ts). Every money domain that spends coins (gift
// sends now, shop orders later) uses these calls and nothing else:
//
//   admit(userId, admissionId, amount)  the caller's rate limit, then hot
//                                       `available` −= amount, idempotent on the
//                                       admission id → pending (keeping the
//                                       caller's payload, in the pending index);
//                                       one hot-store call when the wallet is
//                                       loaded, a database read and a second
//                                       call (which loads it) when not
//   debitInTx(trx, …)                   the conditional debit + ledger row, in
//                                       the caller's transaction (service.ts)
//   settle(…)                           after that commit  → settled
//   claim(…)                            the consumer, before its transaction:
//                                       pending → claimed (the send will be
//                                       persisted; a cancel can no longer take it)
//   refund(…)                           the debit will never be persisted
//                                       (refused, or never delivered) → refunded
//   cancel(…)                           the sender's refund after a failed
//                                       hand-off: only from pending
//   admission(…)                        where an admission stands
//   claimStalePending(…)                pending admissions nobody finished (the
//                                       gift re-drive sweeper re-publishes them)
//
// Money invariant. The database balance is the truth: balance = Σ ledger
// rows, never below zero (the debit is conditional), one ledger row per
// business id. The hot `available` = balance − debits admitted but not yet
// persisted, so 0 ≤ available ≤ balance at every instant (credits reach the
// database before the hot store, debits the hot store before the database).
// The hot store may only be wrong in the safe direction, and it heals from
// the truth:
//   - missing (lost, evicted, dropped, never loaded): the admission reads
//     the account without a lock and hands the row to the hot store, which
//     loads it and admits in the same atomic call — unless a wallet was
//     loaded meanwhile (that one wins), or a credit newer than the row was
//     seen (`stale`: read again). A read older than MAX_LOAD_READ_AGE_MS is
//     discarded, so it is always far younger than the hot store's version
//     markers. A committed credit loads a wallet that was never loaded (no
//     marker) from its own row (applyCreditToHot), so a send after a
//     recharge finds it warm; a dropped wallet's marker stops that load, as
//     debits admitted before the drop may commit after the credit's read;
//   - a credit committed but never applied (its process died between the
//     commit and applyCreditToHot): found at the next refusal by comparing
//     the account's credit_version with what the wallet reflects → rebuilt;
//   - over-admitted (the database refused a debit for lack of coins, or
//     debited an admission that was no longer pending): dropped, so the next
//     admission rebuilds it.
// A refund after a rebuild never adds the amount twice (the admission
// remembers the wallet generation it was debited from).
import type { AccountSnapshot, AdmissionState, AdmitInput, AdmitResult, Admission, HotCoins, PendingAdmission } from "../hot/coins/port.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { Account } from "./types.ts";

const LOAD_ATTEMPTS = 5;
const ADMIT_ATTEMPTS = 4;
/**
 * The oldest database read a wallet load may use. Far below the hot store's
 * version markers (WALLET_MARKER_TTL_SEC): a read older than a marker could
 * miss a credit the marker no longer remembers.
 */
export const MAX_LOAD_READ_AGE_MS = 10_000;

/** What an admission answers; a missing hot wallet is loaded, never reported. */
export type AdmitOutcome = Exclude<AdmitResult, { kind: "unloaded" } | { kind: "stale" }>;

export function createCoinAdmissions(deps: {
  coins: HotCoins;
  /** The account, created at first touch. */
  account: (userId: number) => Promise<Account>;
  log: Logger;
  /** MAX_LOAD_READ_AGE_MS unless told (a test makes it short). */
  maxLoadReadAgeMs?: number;
}) {
  const { coins, account, log } = deps;
  const maxReadAgeMs = deps.maxLoadReadAgeMs ?? MAX_LOAD_READ_AGE_MS;

  /**
   * The account as a wallet load may use it: read without a lock (the hot
   * store's versions make a concurrent change safe) and younger than
   * maxReadAgeMs; a slower read is discarded and read again.
   */
  async function readForLoad(userId: number): Promise<Account> {
    for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      const readAt = Date.now();
      const acc = await account(userId);
      if (Date.now() - readAt <= maxReadAgeMs) return acc;
      log.warn("wallet read too slow to load from; reading again", { userId, ms: Date.now() - readAt });
    }
    throw new AppError("UNAVAILABLE", "wallet is busy, retry shortly");
  }

  const snapshot = (acc: Account): AccountSnapshot => ({ balance: acc.balance, version: acc.version });

  /** Forgets the user's hot `available`; the next admission rebuilds it from the database. */
  async function dropHot(userId: number): Promise<void> {
    await coins.dropWallet(userId);
  }

  return {
    dropHot,

    /**
     * Admits a debit against hot `available`: one hot-store call when the
     * wallet is loaded. When it is missing, the account is read and the call
     * made again with that row, which loads the wallet and admits at once;
     * the rate limit was counted by the first call and is not counted again.
     * A refusal is checked against the database once (the row this admission
     * already read, if any): when the account's
     * latest credit is newer than anything the wallet reflects, the credit
     * never reached the hot store (its process died between the commit and
     * applyCreditToHot), so the wallet is dropped and reloaded from that read.
     */
    async admit(input: AdmitInput): Promise<AdmitOutcome> {
      let r = await coins.admitDebit(input);
      let rechecked = false;
      // The row read by this admission, if any: fresh enough to recheck a refusal against.
      let acc: Account | undefined;
      for (let call = 1; ; call++) {
        if (r.kind !== "unloaded" && r.kind !== "stale" && (r.kind !== "insufficient" || rechecked)) return r;
        if (call >= ADMIT_ATTEMPTS) throw new AppError("UNAVAILABLE", "wallet could not be loaded, retry shortly");
        if (r.kind !== "insufficient") acc = await readForLoad(input.userId);
        else {
          rechecked = true;
          acc ??= await readForLoad(input.userId);
          if (acc.creditVersion <= r.knownVersion) return r;
          log.warn("hot wallet missed a credit; rebuilding it", { userId: input.userId, creditVersion: acc.creditVersion, knownVersion: r.knownVersion });
          await coins.dropWallet(input.userId, { ifKnownVersion: r.knownVersion });
        }
        r = await coins.admitDebit({ ...input, rateLimit: undefined, load: snapshot(acc) });
      }
    },

    /**
     * The admission's debit is in the database: pending → settled (a no-op
     * when already settled). `debitedNow`: this caller's transaction made the
     * debit (not a redelivery). If the admission was no longer pending then
     * (refunded because its hand-off reported failure although it landed, or
     * expired), hot `available` no longer matches the truth: drop it.
     */
    async settle(userId: number, admissionId: string, opts: { debitedNow: boolean }): Promise<void> {
      await this.settleMany([{ userId, admissionId, debitedNow: opts.debitedNow }]);
    },

    /** settle for a batch's admissions at once (one hot-store call per pending bucket: HotCoins.settleDebits). */
    async settleMany(items: { userId: number; admissionId: string; debitedNow: boolean }[]): Promise<void> {
      if (items.length === 0) return;
      const settled = await coins.settleDebits(items);
      const drifted = new Set(items.filter((s, i) => !settled[i] && s.debitedNow).map((s) => s.userId));
      await Promise.all([...drifted].map(dropHot));
    },

    /**
     * The admission's debit will never be in the database: pending or
     * claimed → refunded, its amount back to `available`, exactly once. False
     * when it was neither. `overAdmitted`: the database just refused the debit for
     * lack of coins the hot store had admitted, so `available` drifted (lost
     * data, a rebuild while debits were pending): drop it for a rebuild.
     */
    async refund(userId: number, admissionId: string, opts: { overAdmitted?: boolean } = {}): Promise<boolean> {
      const refunded = await coins.refundDebit(userId, admissionId);
      if (opts.overAdmitted) await dropHot(userId);
      return refunded;
    },

    /**
     * The sender's cancel after its hand-off failed: pending → refunded. A
     * claimed admission is refused (its consumer is persisting the send).
     * Returns "refunded" when this call cancelled it, otherwise where the
     * admission stands (null when unknown or expired): claimed or settled
     * means the send will be (or was) executed, so the caller answers 202.
     */
    async cancel(userId: number, admissionId: string): Promise<AdmissionState | null> {
      if (await coins.refundDebit(userId, admissionId, { onlyPending: true })) return "refunded";
      return (await coins.getAdmission(userId, admissionId))?.state ?? null;
    },

    /**
     * Claims each admission before the caller's transaction, in one pipelined
     * round of one call per pending bucket: pending → claimed
     * (HotCoins.claimAdmissions). Each entry is the state after the claim,
     * null when unknown or expired.
     */
    async claim(refs: { userId: number; admissionId: string }[]): Promise<(AdmissionState | null)[]> {
      return coins.claimAdmissions(refs);
    },

    /** Where an admission stands; null when unknown or expired. */
    async admission(userId: number, admissionId: string): Promise<Admission | null> {
      return coins.getAdmission(userId, admissionId);
    },

    /** Up to `limit` pending or claimed admissions of `bucket` waiting `olderThanMs` or more, bumped (HotCoins.claimStalePending). */
    async claimStalePending(bucket: number, olderThanMs: number, limit: number): Promise<PendingAdmission[]> {
      return coins.claimStalePending(bucket, olderThanMs, limit);
    },

    /** Hot `available`; null when the wallet is not loaded. */
    async hotAvailable(userId: number): Promise<number | null> {
      return coins.getAvailable(userId);
    },

    /**
     * Tells the hot store about a committed credit of `amount` that left the
     * account as `after` (read in the credit's transaction); a missing wallet
     * is loaded from it, unless that read is older than maxReadAgeMs (a
     * process paused between the commit and here: debits may have moved the
     * row since, and the version markers may have expired).
     */
    async applyCreditToHot(userId: number, amount: number, after: Account): Promise<void> {
      try {
        await coins.creditAvailable(userId, amount, snapshot(after), { load: Date.now() - after.readAt <= maxReadAgeMs });
      } catch (err) {
        // The database has the credit; the hot store is rebuildable. Drop the
        // wallet so the next admission reloads it from the truth.
        log.warn("hot credit failed; dropping wallet for rebuild", { err, userId });
        await dropHot(userId).catch(() => undefined);
      }
    },
  };
}

export type CoinAdmissions = ReturnType<typeof createCoinAdmissions>;
