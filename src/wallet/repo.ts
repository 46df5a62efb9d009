// Wallet persistence: accounts and the ledger. Every balance change goes with
// exactly one ledger row whose business id is unique, in one transaction, so
// balance = Σ ledger rows holds by construction and a repeated business id
// can never move money twice. Debits are conditional (balance ≥ amount), so
// the balance never goes negative whatever the hot store admitted.
import { sql } from "kysely";
import type { CurrencyAccountTable } from "../store/schema.ts";
import type { Db, Store } from "../store/store.ts";
import { caseWhen, placeholders, rowPlaceholders, runRaw, statementFor } from "../store/raw.ts";
import { AccountStatus, type Account, type TradeType } from "./types.ts";

type AccountRow = Omit<CurrencyAccountTable, "create_time" | "update_time">;

const ACCOUNT_SELECT = "select user_id, current_balance, total_charged, status, version, credit_version from currency_account";
const ACCOUNT_BY_ID = `${ACCOUNT_SELECT} where user_id = ?`;

/**
 * MariaDB plans an UPDATE … WHERE user_id IN (a long list) as a scan of the
 * whole primary key once the list is a sizeable share of the table, and under
 * REPEATABLE READ a scan locks every row it passes: two batches debiting
 * disjoint users then wait on (and deadlock with) each other. Forced to the
 * primary key, it locks only the listed accounts.
 */
const BY_PRIMARY_KEY = " force index (primary)";

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
      await this.ensureAccounts(db, [userId]);
    },

    /** ensureAccount for many users: one multi-row insert, in user-id order (the order MySQL locks them in). */
    async ensureAccounts(db: Db, userIds: number[]): Promise<void> {
      if (userIds.length === 0) return;
      const now = Date.now();
      const values = [...new Set(userIds)]
        .sort((a, b) => a - b)
        .map((userId) => ({ user_id: userId, current_balance: 0, total_charged: 0, status: AccountStatus.ACTIVE, version: 0, credit_version: 0, create_time: now, update_time: now }));
      if (store.dialect === "mysql") {
        await db.insertInto("currency_account").values(values).onDuplicateKeyUpdate({ user_id: sql`user_id` }).execute();
      } else {
        await db.insertInto("currency_account").orIgnore().values(values).execute();
      }
    },

    /** One fixed statement, compiled once (every cold admission reads it). */
    async getAccount(db: Db, userId: number): Promise<Account | null> {
      const { rows } = await runRaw<AccountRow>(db, ACCOUNT_BY_ID, [userId]);
      return rows[0] ? toAccount(rows[0]) : null;
    },

    async findTrade(db: Db, bizId: string) {
      return db.selectFrom("currency_trade").selectAll().where("biz_id", "=", bizId).executeTakeFirst();
    },

    /** Business ids among `bizIds` that already have a ledger row, with the row's time. One IN query (src/store/raw.ts). */
    async ledgerTimes(db: Db, bizIds: string[]): Promise<Map<string, number>> {
      if (bizIds.length === 0) return new Map();
      const text = statementFor("ledgerTimes", bizIds.length, (n) => `select biz_id, create_time from currency_trade where biz_id in (${placeholders(n)})`);
      const { rows } = await runRaw<{ biz_id: string; create_time: number }>(db, text, bizIds);
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
      const mysql = store.dialect === "mysql";
      const text = statementFor(
        `lockAccounts.${store.dialect}`,
        sorted.length,
        (n) => `${ACCOUNT_SELECT}${mysql ? BY_PRIMARY_KEY : ""} where user_id in (${placeholders(n)}) order by user_id${mysql ? " for update" : ""}`,
      );
      const { rows } = await runRaw<AccountRow>(db, text, sorted);
      return new Map(rows.map((r) => [Number(r.user_id), toAccount(r)]));
    },

    /**
     * Adds to each user's balance its `amount` (> 0) and to its total_charged
     * its `charged`, in ONE update that raises each row's `version` and
     * `credit_version` by one (however many credits `amount` sums). The
     * ledger rows go in with insertLedgerRows.
     */
    async addBalances(db: Db, adds: { userId: number; amount: number; charged: number }[], now: number): Promise<void> {
      if (adds.length === 0) return;
      const mysql = store.dialect === "mysql";
      const text = statementFor(`addBalances.${store.dialect}`, adds.length, (n) => {
        const cases = caseWhen("user_id", n);
        // credit_version before version: MySQL assigns left to right with new
        // values, SQLite with old ones; in this order both store the new version.
        return (
          `update currency_account${mysql ? BY_PRIMARY_KEY : ""}` +
          ` set credit_version = version + 1, current_balance = current_balance + ${cases},` +
          ` total_charged = total_charged + ${cases}, version = version + 1, update_time = ?` +
          ` where user_id in (${placeholders(n)})`
        );
      });
      await runRaw(db, text, [
        ...adds.flatMap((a) => [a.userId, a.amount]),
        ...adds.flatMap((a) => [a.userId, a.charged]),
        now,
        ...adds.map((a) => a.userId),
      ]);
    },

    /**
     * Takes `total` (> 0) from each of `userIds` — the sum of the debits
     * decided for each, locked accounts, in this transaction — in ONE update
     * for all of them, still conditional per row (active, balance ≥ total).
     * Returns how many rows took it: fewer than `userIds` means a decision
     * did not hold against its row. The ledger rows go in with insertLedgerRows.
     */
    async takeBalance(db: Db, userIds: number[], total: number, now: number): Promise<number> {
      const text = statementFor(
        `takeBalance.${store.dialect}`,
        userIds.length,
        (n) =>
          `update currency_account${store.dialect === "mysql" ? BY_PRIMARY_KEY : ""}` +
          " set current_balance = current_balance - ?, version = version + 1, update_time = ?" +
          ` where user_id in (${placeholders(n)}) and current_balance >= ? and status = ?`,
      );
      const { changed } = await runRaw(db, text, [total, now, ...userIds, total, AccountStatus.ACTIVE]);
      return changed;
    },

    /** Ledger rows in one multi-row INSERT; a business id already present fails it (unique key). */
    async insertLedgerRows(db: Db, rows: { userId: number; num: number; type: TradeType; bizId: string; now: number }[]): Promise<void> {
      if (rows.length === 0) return;
      const text = statementFor(
        "insertLedgerRows",
        rows.length,
        (n) => `insert into currency_trade (user_id, num, type, status, biz_id, create_time) values ${rowPlaceholders(n, 6)}`,
      );
      await runRaw(db, text, rows.flatMap((r) => [r.userId, r.num, r.type, 0, r.bizId, r.now]));
    },

    async listTrades(db: Db, userId: number, cursor: number | undefined, limit: number) {
      let q = db.selectFrom("currency_trade").selectAll().where("user_id", "=", userId);
      if (cursor) q = q.where("id", "<", cursor);
      return q.orderBy("id", "desc").limit(limit).execute();
    },
  };
}

export type WalletRepo = ReturnType<typeof createWalletRepo>;
