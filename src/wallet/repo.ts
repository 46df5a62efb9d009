// Wallet persistence: accounts and the ledger. Every balance change goes with
// exactly one ledger row whose business id is unique, in one transaction, so
// balance = Σ ledger rows holds by construction and a repeated business id
// can never move money twice. Debits are conditional (balance ≥ amount), so
// the balance never goes negative whatever the hot store admitted.
import { CompiledQuery, sql } from "kysely";
import type { Db, Store } from "../store/store.ts";
import { affected } from "../store/store.ts";
import { AccountStatus, type Account, type TradeType } from "./types.ts";

type AccountRow = { user_id: number; current_balance: number; total_charged: number; status: number; version: number; credit_version: number };

const SELECT_ACCOUNT = "SELECT user_id, current_balance, total_charged, status, version, credit_version FROM currency_account WHERE user_id = ?";

function toAccount(r: AccountRow): Account {
  return {
    userId: Number(r.user_id),
    balance: Number(r.current_balance),
    totalCharged: Number(r.total_charged),
    status: Number(r.status),
    version: Number(r.version),
    creditVersion: Number(r.credit_version),
    readAt: Date.now(),
  };
}

export function createWalletRepo(store: Store) {
  return {
    /**
     * Creates the account at first touch and, on MySQL, takes its row lock
     * exclusively at once. Locking first and in one step (not a shared lock
     * upgraded later by the UPDATE) keeps concurrent credits of one user from
     * deadlocking; SQLite serializes writers anyway.
     */
    async ensureAccount(db: Db, userId: number): Promise<void> {
      const now = Date.now();
      const values = { user_id: userId, current_balance: 0, total_charged: 0, status: AccountStatus.ACTIVE, version: 0, credit_version: 0, create_time: now, update_time: now };
      if (store.dialect === "mysql") {
        await db.insertInto("currency_account").values(values).onDuplicateKeyUpdate({ user_id: sql`user_id` }).execute();
      } else {
        await db.insertInto("currency_account").orIgnore().values(values).execute();
      }
    },

    /** One fixed statement, compiled once (every cold admission reads it). */
    async getAccount(db: Db, userId: number): Promise<Account | null> {
      const { rows } = await db.executeQuery<AccountRow>(CompiledQuery.raw(SELECT_ACCOUNT, [userId]));
      return rows[0] ? toAccount(rows[0]) : null;
    },

    async findTrade(db: Db, bizId: string) {
      return db.selectFrom("currency_trade").selectAll().where("biz_id", "=", bizId).executeTakeFirst();
    },

    /** Business ids among `bizIds` that already have a ledger row, with the row's time. One IN query. */
    async ledgerTimes(db: Db, bizIds: string[]): Promise<Map<string, number>> {
      if (bizIds.length === 0) return new Map();
      const rows = await db.selectFrom("currency_trade").select(["biz_id", "create_time"]).where("biz_id", "in", bizIds).execute();
      return new Map(rows.map((r) => [r.biz_id, Number(r.create_time)]));
    },

    /**
     * The accounts of `userIds`, locked for the rest of the transaction: FOR
     * UPDATE on MySQL, taken in user-id order (the IN scan walks the primary
     * key in order) so two batches locking overlapping users never deadlock;
     * SQLite serializes writers anyway. Missing accounts are absent.
     */
    async lockAccounts(db: Db, userIds: number[]): Promise<Map<number, Account>> {
      if (userIds.length === 0) return new Map();
      const sorted = [...new Set(userIds)].sort((a, b) => a - b);
      let q = db.selectFrom("currency_account").selectAll().where("user_id", "in", sorted).orderBy("user_id");
      if (store.dialect === "mysql") q = q.forUpdate();
      const rows = await q.execute();
      return new Map(rows.map((r) => [Number(r.user_id), toAccount(r)]));
    },

    /**
     * Adds `amount` (> 0) with its ledger row. The caller checked that `bizId`
     * is new inside the same transaction; a concurrent duplicate fails on the
     * unique key and rolls the transaction back. Returns the new version.
     */
    async credit(db: Db, c: { userId: number; amount: number; type: TradeType; bizId: string; charged?: boolean }): Promise<Account> {
      const now = Date.now();
      await db
        .updateTable("currency_account")
        .set({
          // Before `version`: MySQL assigns left to right with new values,
          // SQLite with old ones; in this order both store the new version.
          credit_version: sql`version + 1`,
          current_balance: sql`current_balance + ${c.amount}`,
          total_charged: c.charged ? sql`total_charged + ${c.amount}` : sql`total_charged`,
          version: sql`version + 1`,
          update_time: now,
        })
        .where("user_id", "=", c.userId)
        .execute();
      await db.insertInto("currency_trade").values({ user_id: c.userId, num: c.amount, type: c.type, status: 0, biz_id: c.bizId, create_time: now }).execute();
      const acc = await this.getAccount(db, c.userId);
      if (!acc) throw new Error(`account ${c.userId} vanished inside a credit`);
      return acc;
    },

    /**
     * Takes `total` (> 0) — the sum of the debits decided for a locked
     * account in this transaction — in ONE update, still conditional (active,
     * balance ≥ total). False, with nothing changed, if the decision does not
     * hold against the row. The ledger rows go in with insertLedgerRows.
     */
    async takeBalance(db: Db, userId: number, total: number, now: number): Promise<boolean> {
      const res = await db
        .updateTable("currency_account")
        .set({ current_balance: sql`current_balance - ${total}`, version: sql`version + 1`, update_time: now })
        .where("user_id", "=", userId)
        .where("current_balance", ">=", total)
        .where("status", "=", AccountStatus.ACTIVE)
        .executeTakeFirst();
      return affected(res) === 1;
    },

    /** Ledger rows in one multi-row INSERT; a business id already present fails it (unique key). */
    async insertLedgerRows(db: Db, rows: { userId: number; num: number; type: TradeType; bizId: string; now: number }[]): Promise<void> {
      if (rows.length === 0) return;
      await db
        .insertInto("currency_trade")
        .values(rows.map((r) => ({ user_id: r.userId, num: r.num, type: r.type, status: 0, biz_id: r.bizId, create_time: r.now })))
        .execute();
    },

    async listTrades(db: Db, userId: number, cursor: number | undefined, limit: number) {
      let q = db.selectFrom("currency_trade").selectAll().where("user_id", "=", userId);
      if (cursor) q = q.where("id", "<", cursor);
      return q.orderBy("id", "desc").limit(limit).execute();
    },
  };
}

export type WalletRepo = ReturnType<typeof createWalletRepo>;
