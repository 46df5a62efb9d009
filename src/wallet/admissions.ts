// The coin admission lifecycle: the only place that drives the hot store's
// coins (src/hot/coins/port.ts). Every money domain that spends coins (gift
// sends now, shop orders later) uses these calls and nothing else:
//
//   admit(userId, admissionId, amount)  the caller's rate limit, then hot
//                                       `available` −= amount, idempotent on the
//                                       admission id → pending (keeping the
//                                       caller's payload, in the pending index)
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
//   - missing (lost, evicted, dropped): rebuilt from the database under a
//     1 s per-user lock (loadIntoHot); a credit committed during the read
//     makes the load `stale` and it reads again;
//   - a credit committed but never applied (its process died between the
//     commit and applyCreditToHot): found at the next refusal by comparing
//     the account's credit_version with what the wallet reflects → rebuilt;
//   - over-admitted (the database refused a debit for lack of coins, or
//     debited an admission that was no longer pending): dropped, so the next
//     admission rebuilds it.
// A refund after a rebuild never adds the amount twice (the admission
// remembers the wallet generation it was debited from).
import type { AdmissionState, AdmitInput, AdmitResult, Admission, HotCoins, PendingAdmission } from "../hot/coins/port.ts";
import type { Guards } from "../hot/guards/port.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { Db } from "../store/store.ts";
import type { WalletRepo } from "./repo.ts";
import type { Account } from "./types.ts";

const LOAD_LOCK_TTL_MS = 1000;
const LOAD_ATTEMPTS = 5;
const ADMIT_ATTEMPTS = 4;

/** What an admission answers; a missing hot wallet is loaded, never reported. */
export type AdmitOutcome = Exclude<AdmitResult, { kind: "unloaded" }>;

export function createCoinAdmissions(deps: {
  coins: HotCoins;
  guards: Guards;
  repo: WalletRepo;
  db: Db;
  /** The account, created at first touch. */
  account: (userId: number) => Promise<Account>;
  log: Logger;
}) {
  const { coins, guards, repo, db, account, log } = deps;

  /**
   * Rebuilds the user's hot `available` from the database. A multi-step
   * flow (read, then load), so it runs under the user's 1 s lock; a `stale`
   * answer means a credit committed after our read, so read again.
   */
  async function loadIntoHot(userId: number): Promise<void> {
    const lockName = `wallet-load:${userId}`;
    for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      const token = await guards.acquireLock(lockName, LOAD_LOCK_TTL_MS);
      if (!token) {
        // Someone else is loading this wallet; give them a moment.
        await Bun.sleep(10 * (attempt + 1));
        if ((await coins.getAvailable(userId)) !== null) return;
        continue;
      }
      try {
        const acc = await account(userId);
        const r = await coins.loadAvailable(userId, acc.balance, acc.version);
        if (r !== "stale") return;
      } finally {
        await guards.releaseLock(lockName, token);
      }
    }
    throw new AppError("UNAVAILABLE", "wallet is busy, retry shortly");
  }

  /** Forgets the user's hot `available`; the next admission rebuilds it from the database. */
  async function dropHot(userId: number): Promise<void> {
    await coins.dropWallet(userId);
  }

  return {
    loadIntoHot,
    dropHot,

    /**
     * Admits a debit against hot `available`, loading the wallet when it is
     * missing. A refusal is checked against the database once: when the
     * account's latest credit is newer than anything the wallet reflects, the
     * credit never reached the hot store (its process died between the
     * commit and applyCreditToHot), so the wallet is rebuilt and asked again.
     */
    async admit(input: AdmitInput): Promise<AdmitOutcome> {
      let rechecked = false;
      for (let attempt = 0; attempt < ADMIT_ATTEMPTS; attempt++) {
        const r = await coins.admitDebit(input);
        if (r.kind === "unloaded") {
          await loadIntoHot(input.userId);
          continue;
        }
        if (r.kind !== "insufficient" || rechecked) return r;
        rechecked = true;
        const acc = await repo.getAccount(db, input.userId);
        if (!acc || acc.creditVersion <= r.knownVersion) return r;
        log.warn("hot wallet missed a credit; rebuilding it", { userId: input.userId, creditVersion: acc.creditVersion, knownVersion: r.knownVersion });
        await coins.dropWallet(input.userId, { ifKnownVersion: r.knownVersion });
      }
      throw new AppError("UNAVAILABLE", "wallet could not be loaded, retry shortly");
    },

    /**
     * The admission's debit is in the database: pending → settled (a no-op
     * when already settled). `debitedNow`: this caller's transaction made the
     * debit (not a redelivery). If the admission was no longer pending then
     * (refunded because its hand-off reported failure although it landed, or
     * expired), hot `available` no longer matches the truth: drop it.
     */
    async settle(userId: number, admissionId: string, opts: { debitedNow: boolean }): Promise<void> {
      const settled = await coins.settleDebit(userId, admissionId);
      if (!settled && opts.debitedNow) await dropHot(userId);
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
     * round: pending → claimed (HotCoins.claimAdmission). Each entry is the
     * state after the claim, null when unknown or expired.
     */
    async claim(refs: { userId: number; admissionId: string }[]): Promise<(AdmissionState | null)[]> {
      return Promise.all(refs.map((r) => coins.claimAdmission(r.userId, r.admissionId)));
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

    /** Tells the hot store about a committed credit that raised the account to `version`. */
    async applyCreditToHot(userId: number, amount: number, version: number): Promise<void> {
      try {
        await coins.creditAvailable(userId, amount, version);
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
