// The coin wallet. The database balance is the truth; the hot store's
// `available` (balance − admitted-but-unpersisted debits) is the admission
// front, rebuilt from the database when it is missing. Credits commit in the
// database first and are then applied to the hot store by version, so a
// credit is never counted twice nor lost by a concurrent rebuild.
import type { AdmitResult } from "../hot/coins/port.ts";
import type { Hot } from "../hot/index.ts";
import { AppError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { isUniqueViolation, type Store } from "../store/store.ts";
import { createWalletRepo } from "./repo.ts";
import { TradeType, TRADE_TYPE_NAMES, type Account } from "./types.ts";

const LOAD_LOCK_TTL_MS = 1000;
const LOAD_ATTEMPTS = 5;

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

  /**
   * Rebuilds the user's hot `available` from the database. A multi-step
   * wallet flow (read, then load), so it runs under the user's 1 s lock; a
   * `stale` answer means a credit committed after our read, so read again.
   */
  async function loadIntoHot(userId: number): Promise<void> {
    const lockName = `wallet-load:${userId}`;
    for (let attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
      const token = await hot.guards.acquireLock(lockName, LOAD_LOCK_TTL_MS);
      if (!token) {
        // Someone else is loading this wallet; give them a moment.
        await Bun.sleep(10 * (attempt + 1));
        if ((await hot.coins.getAvailable(userId)) !== null) return;
        continue;
      }
      try {
        const acc = await account(userId);
        const r = await hot.coins.loadAvailable(userId, acc.balance, acc.version);
        if (r !== "stale") return;
      } finally {
        await hot.guards.releaseLock(lockName, token);
      }
    }
    throw new AppError("UNAVAILABLE", "wallet is busy, retry shortly");
  }

  return {
    repo,
    account,
    loadIntoHot,

    /**
     * Admission of a debit against hot `available`, loading the wallet when it
     * is missing. A refusal is checked against the database once: when the
     * account's latest credit is newer than anything the wallet reflects, the
     * credit never reached the hot store (its process died between the
     * commit and creditAvailable), so the wallet is rebuilt and asked again.
     */
    async admitDebit(input: { userId: number; admissionId: string; amount: number; fingerprint: string; ttlSec: number }): Promise<AdmitResult> {
      let rechecked = false;
      for (let attempt = 0; attempt < 4; attempt++) {
        const r = await hot.coins.admitDebit(input);
        if (r.kind === "unloaded") {
          await loadIntoHot(input.userId);
          continue;
        }
        if (r.kind !== "insufficient" || rechecked) return r;
        rechecked = true;
        const acc = await repo.getAccount(db, input.userId);
        if (!acc || acc.creditVersion <= r.knownVersion) return r;
        log.warn("hot wallet missed a credit; rebuilding it", { userId: input.userId, creditVersion: acc.creditVersion, knownVersion: r.knownVersion });
        await hot.coins.dropWallet(input.userId);
      }
      throw new AppError("UNAVAILABLE", "wallet could not be loaded, retry shortly");
    },

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
     * already credited (nothing changes). The caller applies `afterCommit`.
     */
    async creditInTx(trx: Parameters<typeof repo.credit>[0], c: { userId: number; amount: number; type: TradeType; bizId: string; charged?: boolean }) {
      await repo.ensureAccount(trx, c.userId);
      if (await repo.findTrade(trx, c.bizId)) return null;
      return repo.credit(trx, c);
    },

    /** Tells the hot store about a committed credit. */
    async applyCreditToHot(userId: number, amount: number, version: number): Promise<void> {
      try {
        await hot.coins.creditAvailable(userId, amount, version);
      } catch (err) {
        // The database has the credit; the hot store is rebuildable. Drop the
        // wallet so the next admission reloads it from the truth.
        log.warn("hot credit failed; dropping wallet for rebuild", { err, userId });
        await hot.coins.dropWallet(userId).catch(() => undefined);
      }
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
