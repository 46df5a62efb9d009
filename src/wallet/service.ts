// The coin wallet: accounts, the ledger, and the coins' hot admission front.
// The database balance is the truth (repo.ts); the hot store's `available` is
// the admission front, driven only through admissions.ts, which holds the
// full money invariant. Credits commit in the database first and are then
// applied to the hot store by version, so a credit is never counted twice nor
// lost by a concurrent rebuild. Money domains (gifts, later shop orders) spend
// coins through this service only: admit → debitInTx → settle, or refund.
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

  const admissions = createCoinAdmissions({ coins: hot.coins, guards: hot.guards, repo, db, account, log });

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
     * the returned version to applyCreditToHot.
     */
    async creditInTx(trx: Db, c: { userId: number; amount: number; type: TradeType; bizId: string; charged?: boolean }) {
      await repo.ensureAccount(trx, c.userId);
      if (await repo.findTrade(trx, c.bizId)) return null;
      return repo.credit(trx, c);
    },

    /**
     * The debit of an admitted amount inside the caller's transaction: the
     * conditional debit and its ledger row. Refused (nothing changes) when the
     * account is frozen or holds less than `amount`. The caller checked that
     * `bizId` is new (ledgerBizIds) in the same transaction; a concurrent
     * duplicate fails on the ledger's unique key and rolls it back. After the
     * commit the caller settles the admission, or refunds it when refused.
     */
    async debitInTx(trx: Db, d: { userId: number; amount: number; type: TradeType; bizId: string; now?: number }): Promise<DebitResult> {
      if (await repo.debit(trx, d)) return { ok: true };
      const acc = await repo.getAccount(trx, d.userId);
      return { ok: false, reason: acc && acc.status !== AccountStatus.ACTIVE ? "account_frozen" : "insufficient_balance" };
    },

    /** Business ids among `bizIds` that already have a ledger row (moved money). */
    async ledgerBizIds(trx: Db, bizIds: string[]): Promise<Set<string>> {
      return repo.existingBizIds(trx, bizIds);
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
      await this.applyCreditToHot(input.userId, input.amount, acc.version);
      return { requestId: input.requestId, userId: input.userId, amount: input.amount, tradeId: Number(trade.id) };
    },
  };
}

export type WalletService = ReturnType<typeof createWalletService>;
