// The coin wallet: accounts, the ledger, and the coins' hot admission front.
// The database balance is the truth (repo.ts); the hot store's `available` is
// the admission front, driven only through admissions.ts, which holds the
// full money invariant. Credits commit in the database first and are then
// applied to the hot store by version, so a credit is never counted twice nor
// lost by a concurrent rebuild. Money domains (gifts, later shop orders) spend
// coins through this service only: admit → debitInTx (or debitManyInTx for a
// batch) → settle, or refund.
import type { Hot } from "../hot/index.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { isUniqueViolation, type Db, type Store } from "../store/store.ts";
import { createCoinAdmissions } from "./admissions.ts";
import { createWalletRepo } from "./repo.ts";
import { AccountStatus, TradeType, TRADE_TYPE_NAMES, type Account, type DebitResult } from "./types.ts";

export interface GrantResult {
  requestId: string;
  userId: number;
  amount: number;
  tradeId: number;
}

export function createWalletService(deps: { store: Store; hot: Hot; log: Logger }) {
  const { store, hot, log } = deps;
  const repo = createWalletRepo(store);
  const db = store.db;

  async function account(userId: number): Promise<Account> {
    let acc = await repo.getAccount(db, userId);
    if (!acc) {
      await repo.ensureAccount(db, userId);
      acc = await repo.getAccount(db, userId);
    }
    if (!acc) throw new Error(`account ${userId} could not be created`);
    return acc;
  }

  const admissions = createCoinAdmissions({ coins: hot.coins, account, log });

  return {
    account,
    ...admissions,

    async getWallet(userId: number) {
      const acc = await account(userId);
      return { userId: acc.userId, balance: acc.balance, totalCharged: acc.totalCharged, status: acc.status };
    },

    async listTrades(userId: number, cursor: number | undefined, limit: number) {
      const rows = await repo.listTrades(db, userId, cursor, limit + 1);
      const items = rows.slice(0, limit).map((r) => ({
        id: Number(r.id),
        num: Number(r.num),
        type: Number(r.type),
        typeName: TRADE_TYPE_NAMES[Number(r.type)] ?? "UNKNOWN",
        bizId: r.biz_id,
        createTime: Number(r.create_time),
      }));
      return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
    },

    /**
     * Credits coins once per business id inside the caller's transaction.
     * Returns the account after the credit, or null when the business id was
     * already credited (nothing changes). After the commit the caller hands
     * the returned account to applyCreditToHot.
     */
    async creditInTx(trx: Db, c: { userId: number; amount: number; type: TradeType; bizId: string; charged?: boolean }): Promise<Account | null> {
      const credited = await this.creditManyInTx(trx, [c], Date.now());
      return credited ? credited.get(c.userId)!.account : null;
    },

    /**
     * creditInTx for a batch, inside the caller's transaction: the accounts
     * created at first touch and locked (user-id order), ONE balance update
     * for all of them (each user's row raised by the sum of its credits), ONE
     * multi-row INSERT of the ledger rows. Returns each credited user's
     * account after its credits, exact because its row is locked (a user's
     * credits in one call raise its version once: hand that account and the
     * user's sum to applyCreditToHot after the commit), or null — nothing
     * changed — when any business id was already credited. Business ids must
     * be distinct; a concurrent duplicate fails on the ledger's unique key.
     */
    async creditManyInTx(
      trx: Db,
      credits: { userId: number; amount: number; type: TradeType; bizId: string; charged?: boolean }[],
      now: number,
    ): Promise<Map<number, { account: Account; amount: number }> | null> {
      const credited = new Map<number, { account: Account; amount: number }>();
      if (credits.length === 0) return credited;
      if ((await repo.ledgerTimes(trx, credits.map((c) => c.bizId))).size > 0) return null;
      const userIds = credits.map((c) => c.userId);
      await repo.ensureAccounts(trx, userIds);
      const locked = await repo.lockAccounts(trx, userIds);
      const sums = new Map<number, { amount: number; charged: number }>();
      for (const c of credits) {
        const s = sums.get(c.userId) ?? { amount: 0, charged: 0 };
        s.amount += c.amount;
        if (c.charged) s.charged += c.amount;
        sums.set(c.userId, s);
      }
      for (const [userId, s] of sums) {
        const acc = locked.get(userId);
        if (!acc) throw new Error(`account ${userId} vanished inside a credit`);
        // Locked (MySQL) or the only writer (SQLite): the row moves exactly by the update below.
        const version = acc.version + 1;
        credited.set(userId, {
          account: { ...acc, balance: acc.balance + s.amount, totalCharged: acc.totalCharged + s.charged, version, creditVersion: version },
          amount: s.amount,
        });
      }
      await repo.addBalances(trx, [...sums].map(([userId, s]) => ({ userId, ...s })), now);
      await repo.insertLedgerRows(
        trx,
        credits.map((c) => ({ userId: c.userId, num: c.amount, type: c.type, bizId: c.bizId, now })),
      );
      return credited;
    },

    /**
     * The debit of an admitted amount inside the caller's transaction: the
     * conditional debit and its ledger row. Refused (nothing changes) when the
     * account is frozen or holds less than `amount`. The caller checked that
     * `bizId` is new (ledgerTimes) in the same transaction; a concurrent
     * duplicate fails on the ledger's unique key and rolls it back. After the
     * commit the caller settles the admission, or refunds it when refused.
     */
    async debitInTx(trx: Db, d: { userId: number; amount: number; type: TradeType; bizId: string; now?: number }): Promise<DebitResult> {
      const [result] = await this.debitManyInTx(trx, [d], d.now ?? Date.now());
      return result!;
    },

    /**
     * Debits of admitted amounts, many at once, inside the caller's
     * transaction — debitInTx for a batch. The senders' accounts are locked
     * (user-id order), each debit is decided IN ORDER against the balance in
     * memory (refused when the account is missing, frozen, or short of the
     * amount by then), then ONE conditional balance update per distinct
     * per-user total (all users debited that total at once) and ONE
     * multi-row INSERT of the accepted debits' ledger rows. Returns a result
     * per debit, in order. The caller checked that every `bizId` is new
     * (ledgerTimes) in the same transaction; a concurrent duplicate fails on
     * the ledger's unique key and rolls it back. After the commit the caller
     * settles each accepted admission and refunds each refused one.
     */
    async debitManyInTx(trx: Db, debits: { userId: number; amount: number; type: TradeType; bizId: string }[], now: number): Promise<DebitResult[]> {
      const accounts = await repo.lockAccounts(trx, debits.map((d) => d.userId));
      const left = new Map([...accounts].map(([id, acc]) => [id, acc.balance]));
      const totals = new Map<number, number>();
      const results = debits.map((d): DebitResult => {
        const acc = accounts.get(d.userId);
        if (acc && acc.status !== AccountStatus.ACTIVE) return { ok: false, reason: "account_frozen" };
        const balance = left.get(d.userId) ?? 0;
        if (!acc || balance < d.amount) return { ok: false, reason: "insufficient_balance" };
        left.set(d.userId, balance - d.amount);
        totals.set(d.userId, (totals.get(d.userId) ?? 0) + d.amount);
        return { ok: true };
      });
      // One update per distinct total (a burst of one price: a handful), not per user.
      const byTotal = Map.groupBy(totals.keys(), (userId) => totals.get(userId)!);
      for (const [total, userIds] of byTotal) {
        // Locked (MySQL) or the only writer (SQLite): the rows cannot have moved since the read.
        const took = await repo.takeBalance(trx, userIds, total, now);
        if (took !== userIds.length) throw new Error(`accounts ${userIds.join(",")} changed under their lock`);
      }
      await repo.insertLedgerRows(
        trx,
        debits.filter((_, i) => results[i]!.ok).map((d) => ({ userId: d.userId, num: -d.amount, type: d.type, bizId: d.bizId, now })),
      );
      return results;
    },

    /** Business ids among `bizIds` that already have a ledger row (moved money), with the row's time. */
    async ledgerTimes(trx: Db, bizIds: string[]): Promise<Map<string, number>> {
      return repo.ledgerTimes(trx, bizIds);
    },

    /** Admin grant (ADMIN_GRANT), once per requestId; a reused requestId with another body conflicts. */
    async grant(input: { userId: number; amount: number; requestId: string }): Promise<GrantResult> {
      const bizId = `grant:${input.requestId}`;
      const attempt = () =>
        store.transact(async (trx) => {
          const acc = await this.creditInTx(trx, { userId: input.userId, amount: input.amount, type: TradeType.ADMIN_GRANT, bizId });
          const trade = await repo.findTrade(trx, bizId);
          return acc ? { acc, trade } : { existing: trade };
        });
      // A concurrent grant with the same requestId loses on the unique key;
      // its second attempt finds the winner's row and answers like a repeat.
      const outcome = await attempt().catch((e) => (isUniqueViolation(e) ? attempt() : Promise.reject(e)));
      if ("existing" in outcome && outcome.existing) {
        const e = outcome.existing;
        if (Number(e.user_id) !== input.userId || Number(e.num) !== input.amount || Number(e.type) !== TradeType.ADMIN_GRANT) {
          throw new AppError("IDEMPOTENCY_CONFLICT", "requestId was already used with a different body");
        }
        return { requestId: input.requestId, userId: input.userId, amount: input.amount, tradeId: Number(e.id) };
      }
      const { acc, trade } = outcome as { acc: Account; trade: { id: number } };
      await this.applyCreditToHot(input.userId, input.amount, acc);
      return { requestId: input.requestId, userId: input.userId, amount: input.amount, tradeId: Number(trade.id) };
    },
  };
}

export type WalletService = ReturnType<typeof createWalletService>;
